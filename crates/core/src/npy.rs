//! Matrices as NumPy `.npy` files (format versions 1 to 3), the compact binary form
//! numpy users already have: `np.save("A.npy", a.astype(np.int8))`.
//!
//! Only what a job needs is accepted: a 2-D C-order array of `|i1`/`i1` (int8) or
//! little-endian `<i4` (int32). The header's shape is checked before any data is read,
//! and the data is read as it arrives (never more than the file holds), so a header
//! that claims terabytes costs nothing; a file with fewer or more bytes than its shape
//! says is refused.

use std::io::{Read, Write};

use crate::error::{CoreError, Result};
use crate::matrix::{Element, Matrix};

/// The first bytes of every `.npy` file.
pub const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The largest header accepted (numpy writes 128 bytes or a little more).
const MAX_HEADER: usize = 1 << 16;

fn bad(reason: impl Into<String>) -> CoreError {
    CoreError::Npy(reason.into())
}

fn io(e: std::io::Error) -> CoreError {
    bad(format!("cannot read: {e}"))
}

/// An element type with a `.npy` encoding.
pub trait NpyElement: Element {
    /// The `descr` numpy writes for it.
    const DESCR: &'static str;
    /// Other spellings of the same type numpy may write.
    const ALSO: &'static [&'static str];
    /// Bytes per element.
    const SIZE: usize;
    /// Decodes one little-endian element.
    fn from_le(bytes: &[u8]) -> Self;
    /// Encodes one element little endian.
    fn write_le(self, out: &mut Vec<u8>);
}

impl NpyElement for i8 {
    const DESCR: &'static str = "|i1";
    const ALSO: &'static [&'static str] = &["i1", "<i1", "=i1"];
    const SIZE: usize = 1;
    fn from_le(bytes: &[u8]) -> Self {
        bytes[0] as i8
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

impl NpyElement for i32 {
    const DESCR: &'static str = "<i4";
    const ALSO: &'static [&'static str] = &[];
    const SIZE: usize = 4;
    fn from_le(bytes: &[u8]) -> Self {
        i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// The value of `'key': value` in a header dict (a Python literal), as text.
fn header_value<'a>(header: &'a str, key: &str) -> Result<&'a str> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let start = quoted
        .iter()
        .find_map(|q| header.find(q.as_str()).map(|at| at + q.len()))
        .ok_or_else(|| bad(format!("the header has no {key:?}")))?;
    let rest = header[start..].trim_start().strip_prefix(':').ok_or_else(|| bad("the header is not a dict"))?;
    let rest = rest.trim_start();
    let end = if rest.starts_with('(') { rest.find(')').map(|e| e + 1) } else { rest.find([',', '}']) }
        .ok_or_else(|| bad(format!("the header's {key:?} has no end")))?;
    Ok(rest[..end].trim())
}

fn parse_shape(text: &str) -> Result<(usize, usize)> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| bad(format!("shape {text:?} is not a tuple")))?;
    let dims: Vec<&str> = inner.split(',').map(str::trim).filter(|d| !d.is_empty()).collect();
    if dims.len() != 2 {
        return Err(bad(format!("shape {text:?} is not 2-D (a matrix has rows and columns)")));
    }
    let dim = |d: &str| {
        if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("dimension {d:?} is not a number")));
        }
        d.parse::<usize>().map_err(|_| bad(format!("dimension {d:?} is too large")))
    };
    Ok((dim(dims[0])?, dim(dims[1])?))
}

impl<T: NpyElement> Matrix<T> {
    /// Reads a `.npy` file's bytes from `reader` (see the module docs for what is
    /// accepted).
    pub fn from_npy(mut reader: impl Read) -> Result<Self> {
        let mut magic = [0u8; 8];
        reader.read_exact(&mut magic).map_err(|_| bad("too short for a .npy file"))?;
        if &magic[..6] != NPY_MAGIC {
            return Err(bad("not a .npy file (no \\x93NUMPY magic)"));
        }
        let header_len = match magic[6] {
            1 => {
                let mut len = [0u8; 2];
                reader.read_exact(&mut len).map_err(io)?;
                u16::from_le_bytes(len) as usize
            }
            2 | 3 => {
                let mut len = [0u8; 4];
                reader.read_exact(&mut len).map_err(io)?;
                u32::from_le_bytes(len) as usize
            }
            v => return Err(bad(format!("format version {v} is not one this build reads (1 to 3)"))),
        };
        if header_len > MAX_HEADER {
            return Err(bad(format!("a header of {header_len} bytes is too long")));
        }
        let mut header = vec![0u8; header_len];
        reader.read_exact(&mut header).map_err(|_| bad("the header is cut short"))?;
        let header = String::from_utf8(header).map_err(|_| bad("the header is not text"))?;
        let descr = header_value(&header, "descr")?.trim_matches(['\'', '"']);
        if descr != T::DESCR && !T::ALSO.contains(&descr) {
            return Err(bad(format!(
                "dtype {:?} where {} ({}) is needed; convert with a.astype(np.{})",
                crate::json::cut(descr, 16),
                T::DESCR,
                T::DTYPE,
                if T::SIZE == 1 { "int8" } else { "int32" }
            )));
        }
        if header_value(&header, "fortran_order")? != "False" {
            return Err(bad("the array is in Fortran order; save it C-ordered (np.ascontiguousarray)"));
        }
        let (rows, cols) = parse_shape(header_value(&header, "shape")?)?;
        let shape_error = |reason: &'static str| CoreError::InvalidMatrixShape { rows, cols, reason };
        let len = rows.checked_mul(cols).ok_or(shape_error("rows × cols overflows"))?;
        let bytes = len.checked_mul(T::SIZE).ok_or(shape_error("the data's size overflows"))?;
        // Read what is there, at most one byte more than the shape needs: a lying
        // header cannot make us allocate what the file does not hold.
        let mut data = Vec::new();
        reader.take(bytes as u64 + 1).read_to_end(&mut data).map_err(io)?;
        if data.len() != bytes {
            return Err(bad(format!(
                "a {rows}x{cols} {} array needs {bytes} bytes of data, the file has {}",
                T::DTYPE,
                if data.len() > bytes { "more".to_string() } else { data.len().to_string() }
            )));
        }
        let values = data.chunks_exact(T::SIZE).map(T::from_le).collect();
        Matrix::new(rows, cols, values)
    }

    /// Writes the matrix as a version-1 `.npy` file.
    pub fn write_npy(&self, mut out: impl Write) -> std::io::Result<()> {
        let mut header = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': ({}, {}), }}",
            T::DESCR,
            self.rows(),
            self.cols()
        );
        // Pad with spaces so that the data starts on a 64-byte boundary, as numpy does.
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = Vec::with_capacity(10 + header.len() + self.data().len() * T::SIZE);
        bytes.extend_from_slice(NPY_MAGIC);
        bytes.extend_from_slice(&[1, 0]);
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        for &v in self.data() {
            v.write_le(&mut bytes);
        }
        out.write_all(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = NPY_MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn round_trips() {
        let a = Matrix::<i8>::new(2, 3, vec![-128, 0, 127, 1, -1, 5]).unwrap();
        let mut bytes = Vec::new();
        a.write_npy(&mut bytes).unwrap();
        assert_eq!((bytes.len() - a.data().len()) % 64, 0, "data aligned as numpy aligns it");
        assert_eq!(Matrix::<i8>::from_npy(&bytes[..]).unwrap(), a);
        let c = Matrix::<i32>::new(1, 2, vec![i32::MIN, i32::MAX]).unwrap();
        let mut bytes = Vec::new();
        c.write_npy(&mut bytes).unwrap();
        assert_eq!(Matrix::<i32>::from_npy(&bytes[..]).unwrap(), c);
    }

    #[test]
    fn what_numpy_writes_is_read() {
        // np.save of np.array([[1, -2], [3, 4]], dtype=np.int8), header as numpy 1.x writes it.
        let m = Matrix::<i8>::from_npy(&npy("|i1", "(2, 2)", &[1, 0xfe, 3, 4])[..]).unwrap();
        assert_eq!(m.data(), &[1, -2, 3, 4]);
        let m = Matrix::<i32>::from_npy(&npy("<i4", "(1, 1)", &7i32.to_le_bytes())[..]).unwrap();
        assert_eq!(m.data(), &[7]);
    }

    #[test]
    fn bad_files_are_refused_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            b"\x93NUMP".to_vec(),
            b"PK\x03\x04xxxxxxxx".to_vec(),
            npy("<i4", "(2, 2)", &[0; 4]),                 // wrong dtype for int8
            npy("|i1", "(2,)", &[0; 2]),                   // 1-D
            npy("|i1", "(2, 2, 1)", &[0; 4]),              // 3-D
            npy("|i1", "(2, 2)", &[0; 3]),                 // short
            npy("|i1", "(2, 2)", &[0; 5]),                 // long
            npy("|i1", "(0, 2)", &[]),                     // empty
            npy("|i1", "(99999999999, 99999999999)", &[]), // a lie, not an allocation
            npy("|i1", "(18446744073709551615, 2)", &[]),  // overflow
            npy("|i1", "(-1, 2)", &[]),
            npy(">i1", "(1, 1)", &[0]),
        ];
        for (i, bytes) in cases.iter().enumerate() {
            assert!(Matrix::<i8>::from_npy(&bytes[..]).is_err(), "case {i}");
        }
        let mut fortran = npy("|i1", "(1, 1)", &[0]);
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran[at..at + 5].copy_from_slice(b"True ");
        assert!(Matrix::<i8>::from_npy(&fortran[..]).is_err());
        assert!(Matrix::<i32>::from_npy(&npy(">i4", "(1, 1)", &[0; 4])[..]).is_err(), "big endian");
    }
}
