//! The MSM on CUDA: `kernels/msm/msm.cu` launched phase by phase (see
//! `kernels/msm/msm.cuh` for the algorithm), windows combined on the host.
//!
//! Bases are uploaded once ([`GpuMsm::upload_g1`]) in the device's affine layout and
//! reused across calls; scalars travel per call in Montgomery form and are converted
//! on the device.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ff::Zero;
use cudarc::driver::{CudaEvent, CudaSlice, DevicePtrMut, LaunchConfig};

use super::layout::{affine_words, bases_to_words, scalars_to_words, xyzz_from_words, MsmCurve};
use super::reference::{combine_windows, BucketLayout, MsmPlan};
use super::schedule::{Arg, BufferId, BufferSource, Schedule, Step};
use crate::device::{ComputeCapability, Gpu};
use crate::error::{catch_panics, GpuError};
use crate::kernels::{KernelVariant, MSM};
use crate::launch::{KernelArg, LoadedKernel};
use crate::timing::elapsed_ms;

/// The oldest GPUs the MSM kernels are built and checked for (A100).
pub const MSM_MIN_COMPUTE_CAPABILITY: ComputeCapability = ComputeCapability { major: 8, minor: 0 };

/// Points one MSM accepts: 268 435 455 (2^28 − 1). Sizes above 2^19 use 16-bit windows,
/// W = 16 of them, and the n·W bucket entries are counted in 32 bits
/// ([`max_points`](super::schedule::max_points)).
pub const MAX_MSM_POINTS: usize = (u32::MAX / 16) as usize;

/// The largest k with 2^k ≤ [`MAX_MSM_POINTS`].
pub const MAX_MSM_LOG_SIZE: u32 = 27;
const _: () = assert!(1 << MAX_MSM_LOG_SIZE <= MAX_MSM_POINTS && 1 << (MAX_MSM_LOG_SIZE + 1) > MAX_MSM_POINTS);

/// Bases on the device, in the kernels' affine layout, for curve `P`.
pub struct DeviceBases<P: MsmCurve> {
    words: CudaSlice<u32>,
    len: usize,
    curve: PhantomData<P>,
}

impl<P: MsmCurve> DeviceBases<P> {
    /// How many bases.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// G1 bases on the device.
pub type DeviceBasesG1 = DeviceBases<ark_bn254::g1::Config>;
/// G2 bases on the device.
pub type DeviceBasesG2 = DeviceBases<ark_bn254::g2::Config>;

/// CUDA-event timings of repeated MSMs on the same bases and scalars.
#[derive(Debug, Clone, PartialEq)]
pub struct MsmTiming {
    /// `"G1"` or `"G2"`.
    pub curve: &'static str,
    /// Number of points.
    pub points: usize,
    /// Window bits used.
    pub window_bits: u32,
    /// Timed runs.
    pub repeats: usize,
    /// Median device time (scalar upload, every kernel) in milliseconds.
    pub median_ms: f64,
    /// Fastest device time.
    pub min_ms: f64,
    /// Median wall time of the whole call, host window combination included.
    pub wall_median_ms: f64,
    /// A fingerprint of the result (equal results, equal fingerprints, within one
    /// process), for comparing kernel variants on the same inputs.
    pub result_fingerprint: u64,
}

/// Every phase's output of one GPU MSM, for comparison with
/// [`msm_phases`](super::reference::msm_phases).
#[derive(Debug, Clone)]
pub struct MsmPhaseDump<P: MsmCurve> {
    /// The plan used.
    pub plan: MsmPlan,
    /// Bucket offsets and entries (entries within a bucket in arbitrary order).
    pub layout: BucketLayout,
    /// One sum per bucket.
    pub bucket_sums: Vec<Projective<P>>,
    /// One sum per window.
    pub window_sums: Vec<Projective<P>>,
    /// The result.
    pub result: Projective<P>,
}

/// Every MSM kernel of one module, by entry-point name.
struct MsmKernels {
    functions: HashMap<&'static str, LoadedKernel>,
}

/// The MSM kernels loaded on one GPU.
pub struct GpuMsm<'gpu> {
    gpu: &'gpu Gpu,
    kernels: Arc<MsmKernels>,
}

/// A fingerprint of a point, for comparing results within one process.
fn fingerprint<P: MsmCurve>(point: &Projective<P>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", ark_ec::CurveGroup::into_affine(*point)).hash(&mut hasher);
    hasher.finish()
}

impl<'gpu> GpuMsm<'gpu> {
    /// Loads the MSM kernels on `gpu` (built ahead, or compiled once per process).
    /// Errors, never panics: no kernels and no NVRTC, a device older than sm_80, a
    /// driver failure.
    pub fn new(gpu: &'gpu Gpu) -> Result<GpuMsm<'gpu>, GpuError> {
        Self::with_variant(gpu, KernelVariant::Default)
    }

    /// As [`new`](Self::new), with the kernels built in `variant`.
    pub fn with_variant(gpu: &'gpu Gpu, variant: KernelVariant) -> Result<GpuMsm<'gpu>, GpuError> {
        gpu.require(MSM_MIN_COMPUTE_CAPABILITY, "the BN254 MSM")?;
        let module = gpu.module_variant(&MSM, variant)?;
        catch_panics("finding the MSM kernels", || {
            let mut functions = HashMap::new();
            for entry in MSM.entry_points {
                functions.insert(entry.name, gpu.load_kernel(&module, entry)?);
            }
            let kernels = MsmKernels { functions };
            Ok(GpuMsm { gpu, kernels: Arc::new(kernels) })
        })
    }

    /// Uploads G1 bases; they stay on the device for any number of MSMs.
    pub fn upload_g1(&self, bases: &[ark_bn254::G1Affine]) -> Result<DeviceBasesG1, GpuError> {
        self.upload(bases)
    }

    /// Uploads G2 bases.
    pub fn upload_g2(&self, bases: &[ark_bn254::G2Affine]) -> Result<DeviceBasesG2, GpuError> {
        self.upload(bases)
    }

    /// Uploads bases of either curve.
    pub fn upload<P: MsmCurve>(&self, bases: &[Affine<P>]) -> Result<DeviceBases<P>, GpuError> {
        check_len(bases.len(), bases.len())?;
        let host = bases_to_words(bases);
        debug_assert_eq!(host.len(), bases.len() * affine_words::<P>());
        let what = || format!("uploading {} {} bases", bases.len(), P::NAME);
        self.gpu.ensure_free_memory(host.len() * 4, what)?;
        catch_panics("uploading MSM bases", || {
            let words =
                if host.is_empty() { self.gpu.stream.alloc_zeros::<u32>(1) } else { self.gpu.stream.clone_htod(&host) }
                    .map_err(GpuError::driver("copying MSM bases to the device"))?;
            Ok(DeviceBases { words, len: bases.len(), curve: PhantomData })
        })
    }

    /// Σ scalars\[i\]·bases\[i\] in G1, exactly.
    pub fn msm_g1(&self, bases: &DeviceBasesG1, scalars: &[Fr]) -> Result<ark_bn254::G1Projective, GpuError> {
        self.msm(bases, scalars)
    }

    /// Σ scalars\[i\]·bases\[i\] in G2, exactly.
    pub fn msm_g2(&self, bases: &DeviceBasesG2, scalars: &[Fr]) -> Result<ark_bn254::G2Projective, GpuError> {
        self.msm(bases, scalars)
    }

    /// Σ scalars\[i\]·bases\[i\] on either curve. `scalars` must have one entry per base.
    pub fn msm<P: MsmCurve>(&self, bases: &DeviceBases<P>, scalars: &[Fr]) -> Result<Projective<P>, GpuError> {
        Ok(self.run(bases, scalars, false, None)?.0)
    }

    /// The MSM with every phase's output downloaded, for the self-test's per-phase
    /// comparison with the Rust reference.
    pub fn msm_phases<P: MsmCurve>(&self, bases: &DeviceBases<P>, scalars: &[Fr]) -> Result<MsmPhaseDump<P>, GpuError> {
        let (result, dump) = self.run(bases, scalars, true, None)?;
        dump.map(|mut d| {
            d.result = result;
            d
        })
        .ok_or_else(|| GpuError::Msm("an MSM needs at least one scalar".into()))
    }

    /// Times [`msm_g1`](Self::msm_g1): one warm-up, then `repeats` runs bracketed by
    /// CUDA events.
    pub fn msm_g1_timed(&self, bases: &DeviceBasesG1, scalars: &[Fr], repeats: usize) -> Result<MsmTiming, GpuError> {
        self.msm_timed(bases, scalars, repeats)
    }

    /// Times [`msm_g2`](Self::msm_g2).
    pub fn msm_g2_timed(&self, bases: &DeviceBasesG2, scalars: &[Fr], repeats: usize) -> Result<MsmTiming, GpuError> {
        self.msm_timed(bases, scalars, repeats)
    }

    /// Times an MSM on either curve.
    pub fn msm_timed<P: MsmCurve>(
        &self,
        bases: &DeviceBases<P>,
        scalars: &[Fr],
        repeats: usize,
    ) -> Result<MsmTiming, GpuError> {
        let repeats = repeats.max(1);
        let (warm_up, _) = self.run(bases, scalars, false, None)?;
        let marks = self.gpu.timing_events(repeats, 2)?;
        let (mut device_ms, mut wall_ms) = (Vec::with_capacity(repeats), Vec::with_capacity(repeats));
        for mark in &marks {
            let started = Instant::now();
            let (timed, _) = self.run(bases, scalars, false, Some((&mark[0], &mark[1])))?;
            wall_ms.push(started.elapsed().as_secs_f64() * 1e3);
            device_ms.push(elapsed_ms(&mark[0], &mark[1])?);
            // The same inputs must give the same point every time; anything else is a race.
            if timed != warm_up {
                return Err(GpuError::Msm(format!(
                    "{} MSM of {} points gave a different result on a repeat run (a race in the kernels)",
                    P::NAME,
                    scalars.len()
                )));
            }
        }
        let median = |samples: &mut Vec<f64>| {
            samples.sort_by(f64::total_cmp);
            samples[samples.len() / 2]
        };
        Ok(MsmTiming {
            curve: P::NAME,
            points: scalars.len(),
            window_bits: MsmPlan::for_size(scalars.len()).window_bits,
            repeats,
            median_ms: median(&mut device_ms),
            min_ms: device_ms[0],
            wall_median_ms: median(&mut wall_ms),
            result_fingerprint: fingerprint(&warm_up),
        })
    }

    /// The whole pipeline: [`Schedule::new`] for this size, run on the device. `marks`:
    /// events recorded before the scalar upload and after the last kernel.
    fn run<P: MsmCurve>(
        &self,
        bases: &DeviceBases<P>,
        scalars: &[Fr],
        dump: bool,
        marks: Option<(&CudaEvent, &CudaEvent)>,
    ) -> Result<(Projective<P>, Option<MsmPhaseDump<P>>), GpuError> {
        check_len(bases.len, scalars.len())?;
        // A device pointer means nothing in another device's context.
        if bases.words.context().cu_ctx() != self.gpu.context.cu_ctx() {
            return Err(GpuError::Msm("these bases were uploaded to another GPU".into()));
        }
        let n = scalars.len();
        if n == 0 {
            return Ok((Projective::<P>::zero(), None));
        }
        let plan = MsmPlan::for_size(n);
        let schedule = Schedule::new::<P>(n, plan, dump)?;
        let peak_bytes = schedule.peak_words() * 4;
        self.gpu.ensure_free_memory(peak_bytes, || format!("an MSM of {n} {} points", P::NAME))?;
        let host_scalars = scalars_to_words(scalars);
        catch_panics("running the MSM", || {
            if let Some((start, _)) = marks {
                self.gpu.record(start)?;
            }
            let buffers = self.execute(&schedule, &bases.words, &host_scalars)?;
            if let Some((_, end)) = marks {
                self.gpu.record(end)?;
            }
            let stream = &self.gpu.stream;
            let download = |id: BufferId, what: &'static str| -> Result<Vec<u32>, GpuError> {
                let slice = buffers.get(id.0).and_then(Option::as_ref).ok_or_else(|| {
                    GpuError::Msm(format!("{what}: the schedule's output buffer {} was not kept", id.0))
                })?;
                stream.clone_dtoh(slice).map_err(GpuError::driver(what))
            };
            let xyzz = schedule.xyzz_words;
            let decode = |words: &[u32], count: usize, what: &'static str| -> Result<Vec<Projective<P>>, GpuError> {
                let words = words.get(..count * xyzz).ok_or_else(|| GpuError::Msm(format!("{what}: too few words")))?;
                words
                    .chunks_exact(xyzz)
                    .map(|w| {
                        let invalid =
                            "a kernel produced an invalid point (not reduced, off the curve, or never written)";
                        xyzz_from_words::<P>(w).ok_or_else(|| GpuError::Msm(format!("{what}: {invalid}")))
                    })
                    .collect()
            };
            let windows = plan.windows as usize;
            let window_words =
                download(schedule.outputs.window_sums, "copying window sums back (a kernel may have faulted)")?;
            let window_sums = decode(&window_words, windows, "decoding MSM window sums")?;
            let result = combine_windows(&window_sums, &plan);
            let (Some(offsets), Some(entries), Some(kept_sums)) =
                (schedule.outputs.offsets, schedule.outputs.entries, schedule.outputs.bucket_sums)
            else {
                return Ok((result, None));
            };
            let offsets_host = download(offsets, "copying bucket offsets back")?;
            let mut entries_host = download(entries, "copying entries back")?;
            let buckets = plan.buckets();
            let total = offsets_host.get(buckets).copied().unwrap_or(0) as usize;
            entries_host.truncate(total);
            let bucket_words = download(kept_sums, "copying bucket sums back")?;
            let bucket_sums = decode(&bucket_words, buckets, "decoding MSM bucket sums")?;
            let layout = BucketLayout { offsets: offsets_host, entries: entries_host };
            Ok((result, Some(MsmPhaseDump { plan, layout, bucket_sums, window_sums, result })))
        })
    }

    /// Runs `schedule`'s steps in order on this GPU's stream. Buffers are allocated
    /// (zeroed) at their first use and freed after their last; the returned slots hold
    /// the outputs. `bases` is the schedule's bases buffer, `scalars` its scalars.
    fn execute(
        &self,
        schedule: &Schedule,
        bases: &CudaSlice<u32>,
        scalars: &[u32],
    ) -> Result<Vec<Option<CudaSlice<u32>>>, GpuError> {
        // Every launch below relies on this: see the SAFETY comment at the launch.
        schedule.validate()?;
        let stream = &self.gpu.stream;
        let (bases_id, scalars_id) = schedule.inputs();
        if bases_id.is_some_and(|id| schedule.buffers[id.0].words > bases.len())
            || scalars_id.is_some_and(|id| schedule.buffers[id.0].words != scalars.len())
        {
            return Err(GpuError::Msm("the schedule's input lengths do not match the bases and scalars".into()));
        }
        let mut slots: Vec<Option<CudaSlice<u32>>> = (0..schedule.buffers.len()).map(|_| None).collect();
        if let Some(id) = scalars_id {
            slots[id.0] = Some(stream.clone_htod(scalars).map_err(GpuError::driver("copying scalars"))?);
        }
        let last_uses = schedule.last_uses();
        for (index, step) in schedule.steps.iter().enumerate() {
            match step {
                Step::Duplicate { from, to } => {
                    let source = slots[from.0].as_ref().ok_or_else(|| missing(schedule, *from))?;
                    let copy = stream.clone_dtod(source).map_err(GpuError::driver("copying an MSM buffer"))?;
                    slots[to.0] = Some(copy);
                }
                Step::Launch(launch) => {
                    for id in launch.args.buffers() {
                        let spec = &schedule.buffers[id.0];
                        if slots[id.0].is_none() {
                            slots[id.0] = match spec.source {
                                BufferSource::Zeroed => Some(
                                    stream
                                        .alloc_zeros::<u32>(spec.words)
                                        .map_err(GpuError::driver("allocating MSM buffers"))?,
                                ),
                                BufferSource::Poisoned => Some(self.poisoned(spec.words)?),
                                _ => None,
                            };
                        }
                    }
                    let entry = launch.kernel().entry_point(schedule.curve)?;
                    let function = self
                        .kernels
                        .functions
                        .get(entry.name)
                        .ok_or_else(|| GpuError::Msm(format!("kernel {} is not loaded", entry.name)))?;
                    let positional = launch.args.to_args();
                    let args = positional
                        .iter()
                        .map(|arg| match arg {
                            Arg::U32(value) => Ok(KernelArg::U32(*value)),
                            Arg::Buffer(id) if Some(*id) == bases_id => Ok(KernelArg::Words(bases)),
                            Arg::Buffer(id) => {
                                slots[id.0].as_ref().map(KernelArg::Words).ok_or_else(|| missing(schedule, *id))
                            }
                        })
                        .collect::<Result<Vec<_>, GpuError>>()?;
                    let config = LaunchConfig {
                        grid_dim: (launch.blocks, 1, 1),
                        block_dim: (launch.threads, 1, 1),
                        shared_mem_bytes: 0,
                    };
                    // SAFETY: `schedule.validate()` passed above, so this launch passes
                    // the arguments its kernel declares (checked again by `Gpu::launch`),
                    // launches every thread the kernel's guard admits, and each buffer is
                    // at least as long as the kernel's contract (schedule/validate.rs) requires
                    // for these integer arguments, so no thread indexes past an
                    // allocation (slots hold exactly `words` words; the bases buffer is
                    // at least as long, checked above). The data-dependent indices stay
                    // inside because validate() checked where every offsets, entries
                    // and partials buffer came from, and tests/msm_host.rs runs this same
                    // schedule through the kernels' bodies with exact-size buffers under
                    // AddressSanitizer (freeing each buffer after its last use, as here).
                    // Every buffer stays alive until the stream has used it: frees are
                    // stream-ordered after this launch.
                    unsafe { self.gpu.launch(function, config, &args) }?;
                }
            }
            for (id, last) in last_uses.iter().enumerate() {
                if *last == Some(index) {
                    slots[id] = None;
                }
            }
        }
        Ok(slots)
    }
}

impl GpuMsm<'_> {
    /// A device buffer of `words` words, every byte 0xff (see
    /// [`BufferSource::Poisoned`]).
    fn poisoned(&self, words: usize) -> Result<CudaSlice<u32>, GpuError> {
        let stream = &self.gpu.stream;
        // SAFETY: the memory is uninitialised only until the memset below, queued on
        // the same stream before anything can read it; u32 has no invalid bit patterns.
        let mut buffer = unsafe { stream.alloc::<u32>(words) }.map_err(GpuError::driver("allocating MSM buffers"))?;
        let (pointer, record) = buffer.device_ptr_mut(stream);
        // SAFETY: `pointer` is the live allocation just made, `words * 4` bytes long, on
        // this stream; all-ones bytes are a valid u32.
        unsafe { cudarc::driver::result::memset_d8_async(pointer, 0xff, words * 4, stream.cu_stream()) }
            .map_err(GpuError::driver("poisoning an MSM buffer"))?;
        drop(record);
        Ok(buffer)
    }
}

/// The error for a buffer a step needs that is not on the device.
fn missing(schedule: &Schedule, id: BufferId) -> GpuError {
    let name = schedule.buffers.get(id.0).map_or("?", |b| b.name);
    GpuError::Msm(format!("MSM buffer {name} is used before it exists"))
}

/// One scalar per base, and no more points than entries can index.
fn check_len(bases: usize, scalars: usize) -> Result<(), GpuError> {
    if bases != scalars {
        return Err(GpuError::Msm(format!("{bases} bases but {scalars} scalars (one per base)")));
    }
    if scalars > MAX_MSM_POINTS {
        return Err(GpuError::Msm(format!("{scalars} points; at most {MAX_MSM_POINTS} are supported")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_planned_size_up_to_the_limit_fits_its_schedule() {
        use super::super::schedule::max_points;
        for n in [1, 1000, 1 << 19, (1 << 19) + 1, 1 << 20, 1 << 24, 1 << 27, MAX_MSM_POINTS] {
            assert!(n <= max_points(&MsmPlan::for_size(n)), "{n}");
        }
        assert_eq!(MAX_MSM_POINTS, max_points(&MsmPlan::for_size(MAX_MSM_POINTS)));
    }

    #[test]
    fn the_crate_keeps_one_stream_per_context() {
        // The launches pass written buffers as `&CudaSlice` (see `Gpu::launch`); that is
        // sound only while no second stream turns on cudarc's cross-stream events.
        let mut pending = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        let mut read = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    let forbidden = [concat!(".new_", "stream("), concat!(".fo", "rk(")];
                    assert!(!forbidden.iter().any(|f| source.contains(f)), "{} makes a second stream", path.display());
                    read += 1;
                }
            }
        }
        assert!(read >= 15, "read {read} source files");
    }

    #[test]
    fn lengths_are_checked_with_typed_errors() {
        assert!(check_len(3, 3).is_ok());
        assert!(matches!(check_len(3, 4), Err(GpuError::Msm(m)) if m.contains("3 bases but 4 scalars")));
    }
}
