//! The MSM on CUDA: `kernels/msm/msm.cu` launched phase by phase (see
//! `kernels/msm/msm.cuh` for the algorithm), windows combined on the host.
//!
//! Bases are uploaded once ([`GpuMsm::upload_g1`]) in the device's affine layout and
//! reused across calls; scalars travel per call in Montgomery form and are converted
//! on the device.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ff::Zero;
use cudarc::driver::{CudaFunction, CudaSlice, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::Ptx;

use super::layout::{affine_words, bases_to_words, scalars_to_words, xyzz_from_words, xyzz_words, MsmCurve};
use super::reference::{combine_windows, BucketLayout, MsmPlan};
use crate::device::{ComputeCapability, Gpu};
use crate::error::{catch_panics, GpuError};
use crate::gemm::elapsed_ms;
use crate::kernels::MSM;
use crate::nvrtc;

/// The oldest GPUs the MSM kernels are built and checked for (A100).
pub const MSM_MIN_COMPUTE_CAPABILITY: ComputeCapability = ComputeCapability { major: 8, minor: 0 };

/// Points one MSM accepts: entries store the point index in 31 bits.
pub const MAX_MSM_POINTS: usize = 1 << 30;

// Launch constants mirrored from kernels/msm/msm.cuh and msm.cu (checked by a test).
const CHUNK: usize = 32;
const SEGMENT: usize = 32;
const GROUP: usize = 32;
const SCAN_THREADS: u32 = 256;
const SCAN_BLOCK_ELEMENTS: usize = 1024;
const POINT_THREADS: u32 = 128;
const INDEX_THREADS: u32 = 256;

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

/// The point kernels of one curve.
struct CurveKernels {
    accumulate_bases: CudaFunction,
    accumulate_partials: CudaFunction,
    gather_buckets: CudaFunction,
    suffix_sums: CudaFunction,
    weight_segments: CudaFunction,
    sum_groups: CudaFunction,
}

struct MsmKernels {
    count_digits: CudaFunction,
    scatter_entries: CudaFunction,
    scan_blocks: CudaFunction,
    scan_add_block_offsets: CudaFunction,
    count_chunks: CudaFunction,
    g1: CurveKernels,
    g2: CurveKernels,
}

/// The MSM kernels loaded on one GPU.
pub struct GpuMsm<'gpu> {
    gpu: &'gpu Gpu,
    kernels: Arc<MsmKernels>,
}

fn grid(threads: usize, block: u32) -> LaunchConfig {
    let blocks = threads.div_ceil(block as usize).max(1) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (block, 1, 1), shared_mem_bytes: 0 }
}

/// `value` as the kernels' `u32` argument (sizes were validated against the limits).
fn as_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl<'gpu> GpuMsm<'gpu> {
    /// Compiles (once per process) and loads the MSM kernels on `gpu`. Errors, never
    /// panics: no NVRTC, a device older than sm_80, a driver failure.
    pub fn new(gpu: &'gpu Gpu) -> Result<GpuMsm<'gpu>, GpuError> {
        gpu.require(MSM_MIN_COMPUTE_CAPABILITY, "the BN254 MSM")?;
        catch_panics("loading the MSM kernels", || {
            let arch = nvrtc::target_arch(gpu.compute_capability(), &nvrtc::supported_archs()?);
            let compiled = nvrtc::compile_ptx_cached(&MSM, arch)?;
            let module = gpu
                .context
                .load_module(Ptx::from_src(compiled.ptx.clone()))
                .map_err(GpuError::driver("loading the MSM module (driver PTX JIT)"))?;
            let load =
                |name| module.load_function(name).map_err(GpuError::driver("finding an MSM kernel in its module"));
            let curve = |suffix: &str| -> Result<CurveKernels, GpuError> {
                let named = |stem: &str| load_owned(&module, format!("{stem}_{suffix}"));
                Ok(CurveKernels {
                    accumulate_bases: named("msm_accumulate_bases")?,
                    accumulate_partials: named("msm_accumulate_partials")?,
                    gather_buckets: named("msm_gather_buckets")?,
                    suffix_sums: named("msm_suffix_sums")?,
                    weight_segments: named("msm_weight_segments")?,
                    sum_groups: named("msm_sum_groups")?,
                })
            };
            let kernels = MsmKernels {
                count_digits: load("msm_count_digits")?,
                scatter_entries: load("msm_scatter_entries")?,
                scan_blocks: load("msm_scan_blocks")?,
                scan_add_block_offsets: load("msm_scan_add_block_offsets")?,
                count_chunks: load("msm_count_chunks")?,
                g1: curve("g1")?,
                g2: curve("g2")?,
            };
            tracing::info!(device = %gpu.name(), %arch, "MSM kernels ready");
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
        catch_panics("uploading MSM bases", || {
            let words =
                if host.is_empty() { self.gpu.stream.alloc_zeros::<u32>(1) } else { self.gpu.stream.clone_htod(&host) }
                    .map_err(GpuError::driver("copying MSM bases to the device"))?;
            Ok(DeviceBases { words, len: bases.len(), curve: PhantomData })
        })
    }

    /// Σ scalars[i]·bases[i] in G1, exactly.
    pub fn msm_g1(&self, bases: &DeviceBasesG1, scalars: &[Fr]) -> Result<ark_bn254::G1Projective, GpuError> {
        self.msm(bases, scalars)
    }

    /// Σ scalars[i]·bases[i] in G2, exactly.
    pub fn msm_g2(&self, bases: &DeviceBasesG2, scalars: &[Fr]) -> Result<ark_bn254::G2Projective, GpuError> {
        self.msm(bases, scalars)
    }

    /// Σ scalars[i]·bases[i] on either curve. `scalars` must have one entry per base.
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
        let _warm_up = self.run(bases, scalars, false, None)?;
        let marks = self.gpu.timing_events(repeats, 2)?;
        let (mut device_ms, mut wall_ms) = (Vec::with_capacity(repeats), Vec::with_capacity(repeats));
        for mark in &marks {
            let started = Instant::now();
            let _timed = self.run(bases, scalars, false, Some((&mark[0], &mark[1])))?;
            wall_ms.push(started.elapsed().as_secs_f64() * 1e3);
            device_ms.push(elapsed_ms(&mark[0], &mark[1])?);
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
        })
    }

    fn curve_kernels<P: MsmCurve>(&self) -> &CurveKernels {
        if P::NAME == "G1" {
            &self.kernels.g1
        } else {
            &self.kernels.g2
        }
    }

    /// In-place exclusive scan of `data[0..len)` (len ≤ 1024², checked by the caller).
    fn scan(&self, data: &mut CudaSlice<u32>, len: usize) -> Result<(), GpuError> {
        let stream = &self.gpu.stream;
        let blocks = len.div_ceil(SCAN_BLOCK_ELEMENTS);
        let mut totals =
            stream.alloc_zeros::<u32>(blocks.max(1)).map_err(GpuError::driver("allocating scan totals"))?;
        let mut total_of_totals = stream.alloc_zeros::<u32>(1).map_err(GpuError::driver("allocating scan totals"))?;
        let config =
            LaunchConfig { grid_dim: (blocks as u32, 1, 1), block_dim: (SCAN_THREADS, 1, 1), shared_mem_bytes: 0 };
        let n = as_u32(len);
        let mut launch = stream.launch_builder(&self.kernels.scan_blocks);
        launch.arg(&mut *data).arg(&mut totals).arg(&n);
        // SAFETY: matches `msm_scan_blocks(u32* data, u32* block_totals, u32 n)`; `data`
        // holds at least `len` words and `totals` one per block; the kernel touches
        // data[i] only for i < n and totals[blockIdx.x] only.
        unsafe { launch.launch(config) }.map_err(GpuError::driver("launching msm_scan_blocks"))?;
        if blocks > 1 {
            let one_block = LaunchConfig { grid_dim: (1, 1, 1), ..config };
            let b = as_u32(blocks);
            let mut launch = stream.launch_builder(&self.kernels.scan_blocks);
            launch.arg(&mut totals).arg(&mut total_of_totals).arg(&b);
            // SAFETY: as above, on the `blocks` ≤ 1024 block totals in one block.
            unsafe { launch.launch(one_block) }.map_err(GpuError::driver("launching msm_scan_blocks"))?;
            let mut launch = stream.launch_builder(&self.kernels.scan_add_block_offsets);
            launch.arg(&mut *data).arg(&totals).arg(&n);
            // SAFETY: matches `msm_scan_add_block_offsets(u32* data, const u32*
            // block_offsets, u32 n)`; reads block_offsets[i / 1024] < blocks for i < n.
            unsafe { launch.launch(grid(len, INDEX_THREADS)) }
                .map_err(GpuError::driver("launching msm_scan_add_block_offsets"))?;
        }
        Ok(())
    }

    /// The whole pipeline. `marks`: events recorded before the scalar upload and after
    /// the last kernel.
    fn run<P: MsmCurve>(
        &self,
        bases: &DeviceBases<P>,
        scalars: &[Fr],
        dump: bool,
        marks: Option<(&cudarc::driver::CudaEvent, &cudarc::driver::CudaEvent)>,
    ) -> Result<(Projective<P>, Option<MsmPhaseDump<P>>), GpuError> {
        check_len(bases.len, scalars.len())?;
        let n = scalars.len();
        if n == 0 {
            return Ok((Projective::<P>::zero(), None));
        }
        let plan = MsmPlan::for_size(n);
        let host_scalars = scalars_to_words(scalars);
        catch_panics("running the MSM", || {
            let stream = &self.gpu.stream;
            let kernels = &self.kernels;
            let curve = self.curve_kernels::<P>();
            let alloc =
                |len: usize| stream.alloc_zeros::<u32>(len.max(1)).map_err(GpuError::driver("allocating MSM buffers"));
            let buckets = plan.buckets();
            let (n32, c, b32) = (as_u32(n), plan.window_bits, as_u32(buckets));
            let entry_bound = n * plan.windows as usize;
            let xyzz = xyzz_words::<P>();

            if let Some((start, _)) = marks {
                self.gpu.record(start)?;
            }
            let scalars_device = stream.clone_htod(&host_scalars).map_err(GpuError::driver("copying scalars"))?;
            let mut canonical = alloc(n * 8)?;
            let mut offsets = alloc(buckets + 1)?;
            let mut launch = stream.launch_builder(&kernels.count_digits);
            launch.arg(&scalars_device).arg(&mut canonical).arg(&mut offsets).arg(&n32).arg(&c);
            // SAFETY: matches `msm_count_digits(const Fr*, Fr*, u32* counts, u32 n, u32
            // window_bits)`; both scalar buffers hold n·8 words, counts B + 1; digits
            // index only buckets < B = W·2^(c-1) (c ≤ 16, validated by the plan).
            unsafe { launch.launch(grid(n, INDEX_THREADS)) }.map_err(GpuError::driver("launching msm_count_digits"))?;
            self.scan(&mut offsets, buckets + 1)?;

            let mut cursors = stream.clone_dtod(&offsets).map_err(GpuError::driver("copying bucket offsets"))?;
            let mut entries = alloc(entry_bound)?;
            let mut launch = stream.launch_builder(&kernels.scatter_entries);
            launch.arg(&canonical).arg(&mut cursors).arg(&mut entries).arg(&n32).arg(&c);
            // SAFETY: matches `msm_scatter_entries(const Fr*, u32* cursors, u32* entries,
            // u32 n, u32 window_bits)`; the cursors start at the exclusive scan of the
            // counts, so every slot written is below the total ≤ n·W = entries' length.
            unsafe { launch.launch(grid(n, INDEX_THREADS)) }
                .map_err(GpuError::driver("launching msm_scatter_entries"))?;

            // Accumulation levels until every bucket holds at most one partial.
            let mut level_offsets = stream.clone_dtod(&offsets).map_err(GpuError::driver("copying bucket offsets"))?;
            let mut items_bound = entry_bound;
            let mut largest = n;
            let mut partials: Option<CudaSlice<u32>> = None;
            loop {
                let mut chunk_offsets = alloc(buckets + 1)?;
                let mut launch = stream.launch_builder(&kernels.count_chunks);
                launch.arg(&level_offsets).arg(&mut chunk_offsets).arg(&b32);
                // SAFETY: matches `msm_count_chunks(const u32* offsets, u32* chunk_counts,
                // u32 buckets)`; both hold B + 1 words; threads ≤ B write slot ≤ B.
                unsafe { launch.launch(grid(buckets + 1, INDEX_THREADS)) }
                    .map_err(GpuError::driver("launching msm_count_chunks"))?;
                self.scan(&mut chunk_offsets, buckets + 1)?;
                let launched = items_bound.div_ceil(CHUNK) + buckets;
                let launched32 = as_u32(launched);
                let mut next = alloc(launched * xyzz)?;
                match &partials {
                    None => {
                        let mut launch = stream.launch_builder(&curve.accumulate_bases);
                        launch
                            .arg(&bases.words)
                            .arg(&entries)
                            .arg(&level_offsets)
                            .arg(&chunk_offsets)
                            .arg(&mut next)
                            .arg(&b32)
                            .arg(&launched32);
                        // SAFETY: matches `msm_accumulate_bases_*(const Affine*, const u32*
                        // entries, const u32* offsets, const u32* chunk_offsets, Xyzz*
                        // partials, u32 buckets, u32 launched)`. Entries name points < n
                        // (the bases' length); chunk ids < chunk_offsets[B] ≤ launched,
                        // the partials' length in points.
                        unsafe { launch.launch(grid(launched, POINT_THREADS)) }
                            .map_err(GpuError::driver("launching msm_accumulate_bases"))?;
                    }
                    Some(previous) => {
                        let mut launch = stream.launch_builder(&curve.accumulate_partials);
                        launch
                            .arg(previous)
                            .arg(&level_offsets)
                            .arg(&chunk_offsets)
                            .arg(&mut next)
                            .arg(&b32)
                            .arg(&launched32);
                        // SAFETY: as above with the previous level's partials, whose
                        // per-bucket ranges `level_offsets` describes.
                        unsafe { launch.launch(grid(launched, POINT_THREADS)) }
                            .map_err(GpuError::driver("launching msm_accumulate_partials"))?;
                    }
                }
                partials = Some(next);
                level_offsets = chunk_offsets;
                items_bound = launched;
                largest = largest.div_ceil(CHUNK);
                if largest <= 1 {
                    break;
                }
            }
            let partials = partials.ok_or_else(|| GpuError::Msm("an MSM needs at least one scalar".into()))?;
            let mut bucket_sums = alloc(buckets * xyzz)?;
            let mut launch = stream.launch_builder(&curve.gather_buckets);
            launch.arg(&partials).arg(&level_offsets).arg(&mut bucket_sums).arg(&b32);
            // SAFETY: matches `msm_gather_buckets_*(const Xyzz*, const u32* offsets, Xyzz*
            // bucket_sums, u32 buckets)`; offsets index the last level's partials.
            unsafe { launch.launch(grid(buckets, INDEX_THREADS)) }
                .map_err(GpuError::driver("launching msm_gather_buckets"))?;

            let windows = plan.windows as usize;
            let segments = (plan.buckets_per_window as usize).div_ceil(SEGMENT);
            let (total, per_window) = (as_u32(windows * segments), plan.buckets_per_window);
            // The suffix sums overwrite the bucket sums; keep a copy when they are wanted.
            let bucket_sums_copy = if dump {
                Some(stream.clone_dtod(&bucket_sums).map_err(GpuError::driver("copying bucket sums"))?)
            } else {
                None
            };
            let mut launch = stream.launch_builder(&curve.suffix_sums);
            launch.arg(&mut bucket_sums).arg(&c).arg(&total);
            // SAFETY: matches `msm_suffix_sums_*(Xyzz* bucket_sums, u32 window_bits, u32
            // total)`; thread i < W·segments rewrites only its own segment's buckets (< B).
            unsafe { launch.launch(grid(windows * segments, POINT_THREADS)) }
                .map_err(GpuError::driver("launching msm_suffix_sums"))?;
            let mut shares = alloc(windows * segments * xyzz)?;
            let mut launch = stream.launch_builder(&curve.sum_groups);
            launch.arg(&bucket_sums).arg(&mut shares).arg(&per_window).arg(&total);
            // SAFETY: matches `msm_sum_groups_*(const Xyzz* points, Xyzz* sums, u32 count,
            // u32 total)`: W rows of 2^(c-1) suffix sums, GROUP = SEGMENT, so one output
            // per segment, W·segments in all.
            unsafe { launch.launch(grid(windows * segments, POINT_THREADS)) }
                .map_err(GpuError::driver("launching msm_sum_groups"))?;
            let mut launch = stream.launch_builder(&curve.weight_segments);
            launch.arg(&bucket_sums).arg(&mut shares).arg(&c).arg(&total);
            // SAFETY: matches `msm_weight_segments_*(const Xyzz* suffix_sums, Xyzz* shares,
            // u32 window_bits, u32 total)`; thread i reads one suffix sum of its window
            // and updates shares[i].
            unsafe { launch.launch(grid(windows * segments, POINT_THREADS)) }
                .map_err(GpuError::driver("launching msm_weight_segments"))?;
            let mut count = segments;
            while count > 1 {
                let groups = count.div_ceil(GROUP);
                let mut sums = alloc(windows * groups * xyzz)?;
                let (count32, total) = (as_u32(count), as_u32(windows * groups));
                let mut launch = stream.launch_builder(&curve.sum_groups);
                launch.arg(&shares).arg(&mut sums).arg(&count32).arg(&total);
                // SAFETY: matches `msm_sum_groups_*(const Xyzz* points, Xyzz* sums, u32
                // count, u32 total)`; rows of `count` points, W rows, one output per
                // thread < W·groups.
                unsafe { launch.launch(grid(windows * groups, POINT_THREADS)) }
                    .map_err(GpuError::driver("launching msm_sum_groups"))?;
                shares = sums;
                count = groups;
            }
            if let Some((_, end)) = marks {
                self.gpu.record(end)?;
            }
            let window_words = stream
                .clone_dtoh(&shares)
                .map_err(GpuError::driver("copying window sums back (a kernel may have faulted)"))?;
            let decode = |words: &[u32], what: &'static str| -> Result<Vec<Projective<P>>, GpuError> {
                words
                    .chunks_exact(xyzz)
                    .map(|w| {
                        xyzz_from_words::<P>(w)
                            .ok_or_else(|| GpuError::Msm(format!("{what}: a kernel produced a point off the curve")))
                    })
                    .collect()
            };
            let window_sums = decode(&window_words[..windows * xyzz], "decoding MSM window sums")?;
            let result = combine_windows(&window_sums, &plan);
            if !dump {
                return Ok((result, None));
            }
            let offsets_host = stream.clone_dtoh(&offsets).map_err(GpuError::driver("copying bucket offsets back"))?;
            let mut entries_host = stream.clone_dtoh(&entries).map_err(GpuError::driver("copying entries back"))?;
            entries_host.truncate(offsets_host[buckets] as usize);
            let bucket_sums = bucket_sums_copy.unwrap_or(bucket_sums);
            let bucket_words = stream.clone_dtoh(&bucket_sums).map_err(GpuError::driver("copying bucket sums back"))?;
            let bucket_sums = decode(&bucket_words[..buckets * xyzz], "decoding MSM bucket sums")?;
            let layout = BucketLayout { offsets: offsets_host, entries: entries_host };
            Ok((result, Some(MsmPhaseDump { plan, layout, bucket_sums, window_sums, result })))
        })
    }
}

/// Loads a kernel whose name is built at run time.
fn load_owned(module: &Arc<cudarc::driver::CudaModule>, name: String) -> Result<CudaFunction, GpuError> {
    module.load_function(&name).map_err(GpuError::driver("finding an MSM kernel in its module"))
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
    fn launch_constants_match_the_kernel_sources() {
        let header = crate::kernels::HEADERS.iter().find(|h| h.path == "msm/msm.cuh").unwrap().source;
        let value = |name: &str| -> usize {
            let prefix = format!("constexpr u32 {name} = ");
            let line =
                header.lines().find_map(|l| l.trim().strip_prefix(prefix.as_str())).unwrap_or_else(|| panic!("{name}"));
            let literal = line.trim_end_matches(';').trim();
            literal.parse().unwrap_or_else(|_| {
                // SCAN_BLOCK_ELEMENTS = SCAN_THREADS * SCAN_ITEMS
                literal.split('*').map(|part| value_of(header, part.trim())).product()
            })
        };
        fn value_of(header: &str, name: &str) -> usize {
            let prefix = format!("constexpr u32 {name} = ");
            header
                .lines()
                .find_map(|l| l.trim().strip_prefix(prefix.as_str()))
                .and_then(|l| l.trim_end_matches(';').trim().parse().ok())
                .unwrap_or_else(|| panic!("{name}"))
        }
        assert_eq!(value("CHUNK"), CHUNK);
        assert_eq!(value("SEGMENT"), SEGMENT);
        assert_eq!(value("GROUP"), GROUP);
        assert_eq!(value("SCAN_THREADS"), SCAN_THREADS as usize);
        assert_eq!(value("SCAN_BLOCK_ELEMENTS"), SCAN_BLOCK_ELEMENTS);
        assert_eq!(value("MAX_WINDOW_BITS"), super::super::reference::MAX_WINDOW_BITS as usize);
        assert!(MSM.source.contains(&format!("#define MSM_POINT_THREADS {POINT_THREADS}")));
        // The two-level scan covers every bucket count the plans produce.
        let largest = MsmPlan::with_window_bits(16).buckets() + 1;
        assert!(largest <= SCAN_BLOCK_ELEMENTS * SCAN_BLOCK_ELEMENTS);
    }

    #[test]
    fn lengths_are_checked_with_typed_errors() {
        assert!(check_len(3, 3).is_ok());
        assert!(matches!(check_len(3, 4), Err(GpuError::Msm(m)) if m.contains("3 bases but 4 scalars")));
    }
}
