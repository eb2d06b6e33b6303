//! The record of one kernel's signature and launch shape: what the launchers, the MSM
//! schedule's argument structs and the static kernel test all read, so it depends on
//! nothing else in the crate.

/// The kind of one kernel parameter, as it appears in the PTX `.entry` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// A device pointer (`.param .u64`).
    Pointer,
    /// A 32-bit integer, `int` or `unsigned` (`.param .u32` / `.param .s32`).
    Word32,
}

/// One kernel parameter: its name in the `.cu` source and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name in the kernel's source.
    pub name: &'static str,
    /// Pointer or 32-bit word.
    pub kind: ParamKind,
}

/// One `extern "C" __global__` kernel: its name, its parameters in order, and the
/// threads per block the launcher always uses. The static kernel test checks the
/// parameters against the PTX NVRTC emits and the block size against the registers
/// and shared memory ptxas assigns, so a launch that follows this record passes the
/// kernel what it declares and fits on the SM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryPoint {
    /// The symbol name.
    pub name: &'static str,
    /// The parameters, in order. The MSM kernels take theirs from their argument
    /// structs (`kernels::msm_args`), the single statement of each signature.
    pub params: &'static [Param],
    /// The block of every launch: (x, y, z) threads.
    pub block: (u32, u32, u32),
    /// Dynamic shared memory of every launch, in bytes.
    pub dynamic_shared_bytes: u32,
}

impl EntryPoint {
    /// Threads in one block.
    pub const fn block_threads(&self) -> u32 {
        self.block.0 * self.block.1 * self.block.2
    }
}
