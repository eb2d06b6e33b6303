//! The runtime against whatever this machine has. Without a GPU: detection returns a
//! typed reason and nothing panics. With one (sm_80+, CUDA 12.4+ driver, NVRTC or kernels
//! built ahead): the GEMM
//! self-test passes and cuBLASLt agrees with it.

mod common;

use teraproof_gpu::{
    cublaslt_present, driver_library_present, driver_version, gemm_i8_reference, selftest_gemm, Gpu, GpuError,
};

/// The GPU, or `None` after printing why these tests cannot use one.
fn gpu_or_skip(test: &str) -> Option<Gpu> {
    match Gpu::detect() {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            common::skip_without_gpu(test, &format!("no usable GPU: {e}"));
            None
        }
    }
}

#[test]
fn detect_gives_a_typed_reason_instead_of_panicking() {
    let detected = std::panic::catch_unwind(Gpu::detect).expect("Gpu::detect must not panic");
    match detected {
        Ok(gpu) => {
            eprintln!(
                "found {} (compute capability {}, driver {})",
                gpu.name(),
                gpu.compute_capability(),
                gpu.driver_version()
            );
            assert!(!gpu.name().is_empty());
        }
        Err(e) => {
            eprintln!("Gpu::detect: {e}");
            assert!(e.is_unavailable(), "a machine without a GPU must say so, not fail otherwise: {e:?}");
            if !driver_library_present() {
                assert!(matches!(e, GpuError::DriverNotFound), "no libcuda here, so DriverNotFound: {e:?}");
            }
        }
    }
}

#[test]
fn without_a_driver_every_entry_point_says_driver_not_found() {
    if driver_library_present() {
        return common::skip_without_gpu(
            "without_a_driver_every_entry_point_says_driver_not_found",
            "this machine has libcuda",
        );
    }
    assert!(matches!(driver_version(), Err(GpuError::DriverNotFound)));
    assert!(matches!(Gpu::device_count(), Err(GpuError::DriverNotFound)));
    assert!(matches!(Gpu::open(3), Err(GpuError::DriverNotFound)));
    // Probing for cuBLASLt must not panic either way.
    let _ = cublaslt_present();
}

#[test]
fn an_ordinal_past_the_last_device_is_a_typed_error() {
    match Gpu::open(usize::MAX) {
        Err(GpuError::DeviceNotFound { ordinal, .. }) => assert_eq!(ordinal, usize::MAX),
        Err(e) => assert!(e.is_unavailable(), "{e:?}"),
        Ok(gpu) => panic!("opened device {} at ordinal usize::MAX", gpu.name()),
    }
}

#[test]
fn gemm_selftest_passes_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("gemm_selftest_passes_on_the_gpu") else { return };
    let rows = selftest_gemm(&gpu);
    for row in &rows {
        let (m, k, n) = row.shape;
        eprintln!(
            "{:<48} {:>6}x{:<6}x{:>6} {:>4} {:>9.3} ms {}",
            row.name,
            m,
            k,
            n,
            if row.passed { "ok" } else { "FAIL" },
            row.ms,
            row.detail.as_deref().unwrap_or("")
        );
    }
    if let Some(unsupported) =
        rows.iter().find_map(|r| r.detail.as_deref().filter(|d| d.contains("compute capability")))
    {
        return common::skip_without_gpu("gemm_selftest_passes_on_the_gpu", unsupported);
    }
    assert!(rows.iter().all(|r| r.passed), "GPU GEMM differs from the CPU reference");
}

#[test]
fn gemm_rejects_bad_arguments_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("gemm_rejects_bad_arguments_on_the_gpu") else { return };
    assert!(matches!(gpu.gemm_i8(&[1; 6], &[1; 6], 2, 3, 2), Ok(_) | Err(GpuError::UnsupportedDevice { .. })));
    assert!(matches!(gpu.gemm_i8(&[1; 5], &[1; 6], 2, 3, 2), Err(GpuError::InputLength { matrix: "A", .. })));
    assert!(matches!(gpu.gemm_i8(&[], &[], 0, 3, 2), Err(GpuError::InvalidShape { .. })));
    assert!(matches!(gpu.gemm_i8_timed(1, 1 << 17, 1, 1), Err(GpuError::InvalidShape { .. })));
}

#[test]
fn cublaslt_agrees_with_the_reference_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("cublaslt_agrees_with_the_reference_on_the_gpu") else { return };
    if !cublaslt_present() {
        return common::skip_without_gpu("cublaslt_agrees_with_the_reference_on_the_gpu", "cuBLASLt is not installed");
    }
    let (m, k, n) = (96, 256, 64);
    let a: Vec<i8> = (0..m * k).map(|i| (i * 7 % 256) as u8 as i8).collect();
    let b: Vec<i8> = (0..k * n).map(|i| (i * 13 % 251) as u8 as i8).collect();
    let expected = gemm_i8_reference(&a, &b, m, k, n).unwrap();
    assert_eq!(gpu.cublaslt_gemm_i8(&a, &b, m, k, n).unwrap(), expected, "cuBLASLt's layout is set up right");
    let ours = gpu.gemm_i8_timed(512, 512, 512, 3);
    let theirs = gpu.cublaslt_gemm_i8_timed(512, 512, 512, 3).unwrap();
    if let Ok(ours) = ours {
        assert_eq!(ours.output_checksum, theirs.output_checksum, "same inputs, same product");
    }
}
