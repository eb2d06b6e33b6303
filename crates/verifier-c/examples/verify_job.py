#!/usr/bin/env python3
"""A marketplace in Python checks a supplier's receipt through teraproof's C ABI.

usage: verify_job.py LIBRARY KEY_DIR RECEIPT.json A.json B.json [C.json]

RECEIPT is a unit's receipt or a job receipt (a GEMM of any shape proven as chains of
units, from `teraproof job prove`); a job receipt is checked with tp_verify_gemm_job
against the key directory's two keys (TP_ERR_BAD_JOB, 11, when its units do not make
up the job).

LIBRARY is libteraproof_verifier_c.so (cargo build -p teraproof-verifier-c puts it in
target/<profile>/). A and B are the int8 inputs the buyer sent, C the int32 output the
supplier delivered (optional). Prints the verdict and exits with teraproof's status
code: 0 valid, 10 a valid proof about other matrices, 8 a false proof, and so on
(include/teraproof.h lists them all). The script's own failures use codes no status
has: 64 for a wrong command line, 65 for a file holding a NUL byte (C would see only
the text before it), 66 for a file it cannot read, 69 for a LIBRARY it cannot load (or
one without the functions it calls). A valid receipt under keys from an INSECURE
development setup is reported as such.
"""

EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE = 64, 65, 66, 69

import ctypes
import json
import sys

# tp_status values, as in include/teraproof.h.
STATUS_NAMES = {
    0: "TP_OK",
    1: "TP_ERR_INVALID_ARGUMENT",
    2: "TP_ERR_BAD_KEY",
    3: "TP_ERR_MALFORMED_RECEIPT",
    4: "TP_ERR_UNSUPPORTED_VERSION",
    5: "TP_ERR_NON_CANONICAL_INPUT",
    6: "TP_ERR_INVALID_PROOF_POINT",
    7: "TP_ERR_WRONG_KEY",
    8: "TP_ERR_PROOF_REJECTED",
    9: "TP_ERR_INTERNAL",
    10: "TP_ERR_DATA_MISMATCH",
    11: "TP_ERR_BAD_JOB",
}


def load(library_path):
    lib = ctypes.CDLL(library_path)
    lib.tp_version.restype = ctypes.c_char_p
    lib.tp_verifier_load.argtypes = [
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_char_p,
        ctypes.c_size_t,
    ]
    lib.tp_verifier_load.restype = ctypes.c_int
    lib.tp_verifier_unit.argtypes = [ctypes.c_void_p]
    lib.tp_verifier_unit.restype = ctypes.c_char_p
    lib.tp_verifier_insecure.argtypes = [ctypes.c_void_p]
    lib.tp_verifier_insecure.restype = ctypes.c_int
    lib.tp_verify_job.argtypes = [ctypes.c_void_p] + [ctypes.c_char_p] * 5 + [ctypes.c_size_t]
    lib.tp_verify_job.restype = ctypes.c_int
    lib.tp_verifier_free.argtypes = [ctypes.c_void_p]
    lib.tp_verifier_free.restype = None
    lib.tp_job_verifier_load.argtypes = lib.tp_verifier_load.argtypes
    lib.tp_job_verifier_load.restype = ctypes.c_int
    lib.tp_verify_gemm_job.argtypes = lib.tp_verify_job.argtypes
    lib.tp_verify_gemm_job.restype = ctypes.c_int
    lib.tp_job_verifier_free.argtypes = [ctypes.c_void_p]
    lib.tp_job_verifier_free.restype = None
    return lib


def is_job_receipt(text):
    """Whether the receipt is a job receipt (the C library does the real parsing)."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, dict) and "units" in value


def verify_gemm_job(lib, key_dir, files):
    err = ctypes.create_string_buffer(512)
    verifier = ctypes.c_void_p()
    status = lib.tp_job_verifier_load(key_dir.encode(), ctypes.byref(verifier), err, len(err))
    if status != 0:
        print(f"cannot load the keys: {STATUS_NAMES.get(status, status)}: {err.value.decode()}")
        return status
    try:
        job, a, b = files[:3]
        c = files[3] if len(files) == 4 else None
        status = lib.tp_verify_gemm_job(verifier, job, a, b, c, err, len(err))
        if status == 0:
            shape = json.loads(job)["shape"]
            print(f"valid job: teraproof {lib.tp_version().decode()}, "
                  f"{shape['m']}x{shape['k']}x{shape['n']}, the job's own inputs")
        else:
            print(f"invalid ({STATUS_NAMES.get(status, str(status))}): {err.value.decode()}")
        return status
    finally:
        lib.tp_job_verifier_free(verifier)


class InputError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError(EX_NOINPUT, f"cannot read {path}: {e.strerror}") from e
    if b"\0" in data:
        raise InputError(EX_DATAERR, f"{path} holds a NUL byte")
    return data


def main(argv):
    if len(argv) not in (6, 7):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return EX_USAGE
    try:
        files = [read(path) for path in argv[3:]]
    except InputError as e:
        print(e, file=sys.stderr)
        return e.code
    try:
        lib = load(argv[1])
    except (OSError, AttributeError) as e:
        print(f"cannot load the library {argv[1]}: {e}", file=sys.stderr)
        return EX_UNAVAILABLE
    if is_job_receipt(files[0]):
        return verify_gemm_job(lib, argv[2], files)
    err = ctypes.create_string_buffer(512)
    verifier = ctypes.c_void_p()
    status = lib.tp_verifier_load(argv[2].encode(), ctypes.byref(verifier), err, len(err))
    if status != 0:
        print(f"cannot load the keys: {STATUS_NAMES.get(status, status)}: {err.value.decode()}")
        return status
    try:
        unit = lib.tp_verifier_unit(verifier).decode()
        receipt, a, b = files[:3]
        c = files[3] if len(files) == 4 else None
        status = lib.tp_verify_job(verifier, receipt, a, b, c, err, len(err))
        name = STATUS_NAMES.get(status, str(status))
        if status == 0:
            insecure = lib.tp_verifier_insecure(verifier) == 1
            warning = " (INSECURE development keys: anyone who knows the seed can forge)" if insecure else ""
            print(f"valid: teraproof {lib.tp_version().decode()}, unit {unit}, the job's own inputs{warning}")
        else:
            print(f"invalid ({name}): {err.value.decode()}")
        return status
    finally:
        lib.tp_verifier_free(verifier)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
