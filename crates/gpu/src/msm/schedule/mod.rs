//! The MSM's launch sequence as data: every buffer (its length in 32-bit words and
//! where its contents come from) and every step (a kernel launch with its grid and
//! arguments, or a device-to-device copy), built for one size and window plan.
//!
//! One schedule, two executors. The CUDA backend ([`GpuMsm`](super::GpuMsm)) runs it on
//! the device; the host tests (`tests/msm_host.rs`) send the very same schedule to a C++
//! harness that allocates every buffer at exactly the length given here and runs each
//! launch's threads through the kernels' own `__host__ __device__` bodies
//! (`kernels/msm/msm.cuh`, bounds guards included) under AddressSanitizer. So the grids,
//! buffer sizes, argument order and step order the GPU gets are the ones tested on
//! every machine, not a copy of them.
//!
//! [`Schedule::validate`] checks every launch against its kernel's
//! [`crate::kernels::EntryPoint`] (argument kinds and count, block size: the
//! static kernel test checks those records against NVRTC's PTX and ptxas's resource
//! report) and against the kernel's contract: the threads it guards on are all
//! launched, and every buffer it indexes for these arguments is long enough. For the
//! reads that depend on device data it checks where the buffers came from: offsets are
//! complete scans, chunk offsets were counted from the offsets they are read with, and
//! values are the partials those offsets wrote (see `Provenance`). The CUDA executor
//! refuses a schedule that fails it.

use core::fmt;

use super::layout::{affine_words, xyzz_words, MsmCurve};
use super::reference::{MsmPlan, MAX_WINDOW_BITS};
use crate::error::GpuError;
use crate::kernels::{EntryPoint, MSM};

mod validate;

pub use crate::kernels::msm_args::{self as args, Arg, BufferId, Kernel, KernelArgs};
use args::*;

/// Entries (or partials) one accumulation thread sums (`CHUNK` in msm.cuh).
pub const CHUNK: usize = 32;
/// Buckets one suffix-sum thread walks (`SEGMENT` in msm.cuh).
pub const SEGMENT: usize = 32;
/// Points one group-sum thread adds (`GROUP` in msm.cuh).
pub const GROUP: usize = 32;
/// Elements one scan block covers (`SCAN_BLOCK_ELEMENTS` in msm.cuh).
pub const SCAN_BLOCK_ELEMENTS: usize = 1024;
/// Words of a scalar (eight 32-bit limbs).
const SCALAR_WORDS: usize = 8;
/// The most points one schedule handles: entries store the point index in 31 bits.
/// The entries themselves (n·W of them at most) are counted and indexed in 32 bits, so
/// a plan with W windows also limits n·W to `u32::MAX`; see [`max_points`].
pub const MAX_SCHEDULE_POINTS: usize = 1 << 30;

/// The most points a schedule with `plan` handles: n ≤ 2^30 and n·W ≤ `u32::MAX`
/// (268 435 455 points with 16-bit windows, the plan of every size above 2^19).
pub fn max_points(plan: &MsmPlan) -> usize {
    (u32::MAX as usize / plan.windows.max(1) as usize).min(MAX_SCHEDULE_POINTS)
}

/// The group an MSM runs in; picks the `_g1` or `_g2` point kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    /// BN254 G1, coordinates in Fq.
    G1,
    /// BN254 G2, coordinates in Fq2.
    G2,
}

impl Curve {
    fn of<P: MsmCurve>() -> Curve {
        if P::NAME == "G1" {
            Curve::G1
        } else {
            Curve::G2
        }
    }

    /// The suffix of this curve's point kernels.
    pub fn suffix(self) -> &'static str {
        match self {
            Curve::G1 => "g1",
            Curve::G2 => "g2",
        }
    }
}

impl Kernel {
    /// The entry point this kernel is on `curve`.
    pub fn entry_point(self, curve: Curve) -> Result<&'static EntryPoint, GpuError> {
        let name =
            if self.is_per_curve() { format!("{}_{}", self.stem(), curve.suffix()) } else { self.stem().to_string() };
        MSM.entry_point(&name).ok_or_else(|| GpuError::Msm(format!("{} defines no kernel {name}", MSM.path)))
    }
}

/// Where a buffer's initial contents come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferSource {
    /// The bases, already on the device in the kernels' affine layout.
    Bases,
    /// The scalars, Montgomery form, copied from the host per call.
    Scalars,
    /// Zeros (counters the kernels add to).
    Zeroed,
    /// All-ones bytes: no field element in Montgomery form (each word is at least the
    /// modulus), so a read of a slot no kernel wrote surfaces as an invalid point or
    /// index instead of a plausible identity or zero. Used for every buffer the kernels
    /// fully write before reading.
    Poisoned,
    /// Made by a [`Step::Duplicate`] of another buffer; nothing may use it before.
    Duplicate,
}

/// One device buffer of 32-bit words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BufferSpec {
    /// What it holds, for messages.
    pub name: &'static str,
    /// Its length in 32-bit words (at least 1).
    pub words: usize,
    /// Where its contents come from.
    pub source: BufferSource,
}

/// One kernel launch: `blocks` blocks of `threads` threads, no dynamic shared memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Blocks in the (one-dimensional) grid.
    pub blocks: u32,
    /// Threads per block.
    pub threads: u32,
    /// The arguments, by name; they also say which kernel runs.
    pub args: KernelArgs,
}

impl Launch {
    /// The kernel launched.
    pub fn kernel(&self) -> Kernel {
        self.args.kernel()
    }
}

/// One step of a schedule, run in order on one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Launch a kernel.
    Launch(Launch),
    /// Create buffer `to` as a copy of buffer `from` (same length).
    Duplicate {
        /// The buffer copied.
        from: BufferId,
        /// The new buffer.
        to: BufferId,
    },
}

/// The buffers whose contents an MSM's caller reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    /// One XYZZ point per window, W of them.
    pub window_sums: BufferId,
    /// With `keep_phases`: the bucket offsets (B + 1 words).
    pub offsets: Option<BufferId>,
    /// With `keep_phases`: the sorted entries (the first `offsets[B]` words count).
    pub entries: Option<BufferId>,
    /// With `keep_phases`: one XYZZ point per bucket, before the suffix sums.
    pub bucket_sums: Option<BufferId>,
}

/// Why a schedule is not safe to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// The step at fault.
    pub step: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MSM schedule step {}: {}", self.step, self.reason)
    }
}

impl From<ScheduleError> for GpuError {
    fn from(e: ScheduleError) -> GpuError {
        GpuError::Msm(e.to_string())
    }
}

/// The launch sequence of one MSM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The group.
    pub curve: Curve,
    /// Number of points, n ≥ 1.
    pub points: usize,
    /// The window plan.
    pub plan: MsmPlan,
    /// Words of one affine base.
    pub affine_words: usize,
    /// Words of one XYZZ point.
    pub xyzz_words: usize,
    /// Every buffer.
    pub buffers: Vec<BufferSpec>,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// What the caller reads back.
    pub outputs: Outputs,
}

/// Builds a schedule's buffers and steps.
struct Builder {
    curve: Curve,
    buffers: Vec<BufferSpec>,
    steps: Vec<Step>,
}

impl Builder {
    fn buffer(&mut self, name: &'static str, words: usize, source: BufferSource) -> BufferId {
        self.buffers.push(BufferSpec { name, words: words.max(1), source });
        BufferId(self.buffers.len() - 1)
    }

    fn zeroed(&mut self, name: &'static str, words: usize) -> BufferId {
        self.buffer(name, words, BufferSource::Zeroed)
    }

    fn poisoned(&mut self, name: &'static str, words: usize) -> BufferId {
        self.buffer(name, words, BufferSource::Poisoned)
    }

    fn duplicate(&mut self, from: BufferId, name: &'static str) -> BufferId {
        let to = self.buffer(name, self.buffers[from.0].words, BufferSource::Duplicate);
        self.steps.push(Step::Duplicate { from, to });
        to
    }

    /// A launch of enough blocks of the kernel's block size for `threads` threads.
    fn launch(&mut self, threads: usize, args: impl Into<KernelArgs>) -> Result<(), GpuError> {
        let args = args.into();
        let block = args.kernel().entry_point(self.curve)?.block_threads();
        let blocks = threads.div_ceil(block as usize).max(1);
        self.launch_blocks(blocks, args)
    }

    fn launch_blocks(&mut self, blocks: usize, args: impl Into<KernelArgs>) -> Result<(), GpuError> {
        let args = args.into();
        let threads = args.kernel().entry_point(self.curve)?.block_threads();
        let blocks =
            u32::try_from(blocks).map_err(|_| GpuError::Msm(format!("{blocks} blocks is too large a grid")))?;
        self.steps.push(Step::Launch(Launch { blocks, threads, args }));
        Ok(())
    }

    /// In-place exclusive scan of `data[0..len)`: per-block scans, then (more than one
    /// block) a scan of the block totals and their addition.
    fn scan(&mut self, data: BufferId, len: usize) -> Result<(), GpuError> {
        let blocks = len.div_ceil(SCAN_BLOCK_ELEMENTS);
        if blocks > SCAN_BLOCK_ELEMENTS {
            return Err(GpuError::Msm(format!("a scan of {len} elements exceeds the two-level scan")));
        }
        let block_totals = self.poisoned("scan block totals", blocks);
        self.launch_blocks(blocks, ScanBlocksArgs { data, block_totals, n: word(len)? })?;
        if blocks > 1 {
            let grand_total = self.poisoned("scan grand total", 1);
            self.launch_blocks(1, ScanBlocksArgs { data: block_totals, block_totals: grand_total, n: word(blocks)? })?;
            self.launch(len, ScanAddBlockOffsetsArgs { data, block_offsets: block_totals, n: word(len)? })?;
        }
        Ok(())
    }
}

/// A size as a kernel's `u32` argument; an error, never a wrapped or saturated value,
/// when it does not fit.
fn word(value: usize) -> Result<u32, GpuError> {
    u32::try_from(value).map_err(|_| GpuError::Msm(format!("{value} does not fit a kernel's u32 argument")))
}

impl Schedule {
    /// The schedule of an MSM of `points` points on `P`'s curve with `plan`. With
    /// `keep_phases` the bucket offsets, entries and bucket sums stay readable (for the
    /// self-test's per-phase comparison), at the cost of one copy of the bucket sums.
    pub fn new<P: MsmCurve>(points: usize, plan: MsmPlan, keep_phases: bool) -> Result<Schedule, GpuError> {
        if !(2..=MAX_WINDOW_BITS).contains(&plan.window_bits) || plan != MsmPlan::with_window_bits(plan.window_bits) {
            return Err(GpuError::Msm(format!("{plan:?} is not a plan the kernels accept")));
        }
        if points == 0 || points > max_points(&plan) {
            let most = max_points(&plan);
            return Err(GpuError::Msm(format!(
                "{points} points; with {}-bit windows a schedule takes 1 to {most}",
                plan.window_bits
            )));
        }
        let (n, c) = (points, plan.window_bits as usize);
        let (windows, per_window, buckets) = (plan.windows as usize, plan.buckets_per_window as usize, plan.buckets());
        let (affine, xyzz) = (affine_words::<P>(), xyzz_words::<P>());
        let mut b = Builder { curve: Curve::of::<P>(), buffers: Vec::new(), steps: Vec::new() };

        // Phases 1-3: digits, bucket offsets, the counting sort.
        let bases = b.buffer("bases", n * affine, BufferSource::Bases);
        let scalars = b.buffer("scalars", n * SCALAR_WORDS, BufferSource::Scalars);
        let canonical = b.poisoned("canonical scalars", n * SCALAR_WORDS);
        let offsets = b.zeroed("bucket offsets", buckets + 1);
        let (n32, window_bits) = (word(n)?, word(c)?);
        b.launch(n, CountDigitsArgs { scalars, canonical, bucket_counts: offsets, n: n32, window_bits })?;
        b.scan(offsets, buckets + 1)?;
        let cursors = b.duplicate(offsets, "bucket cursors");
        let entries = b.poisoned("entries", n * windows);
        b.launch(n, ScatterEntriesArgs { canonical, cursors, entries, n: n32, window_bits })?;

        // Phase 4: accumulation levels until every bucket holds at most one partial. A
        // bucket belongs to one window and a point gives a window one digit, so no
        // bucket has more than n entries; each level divides that bound by CHUNK.
        let mut level_offsets = offsets;
        let mut items_bound = n * windows;
        let mut largest = n;
        let mut partials_so_far: Option<BufferId> = None;
        let buckets32 = word(buckets)?;
        loop {
            let chunk_offsets = b.poisoned("chunk offsets", buckets + 1);
            let count = CountChunksArgs { offsets: level_offsets, chunk_counts: chunk_offsets, buckets: buckets32 };
            b.launch(buckets + 1, count)?;
            b.scan(chunk_offsets, buckets + 1)?;
            // Σ_b ⌈count_b / CHUNK⌉ ≤ items / CHUNK + B: a bound on this level's chunks.
            let launched = items_bound.div_ceil(CHUNK) + buckets;
            let next = b.poisoned("partials", launched * xyzz);
            let args = {
                // Shadowed by the kernels' own parameter names, for the struct literals.
                let (offsets, partials, buckets, launched) = (level_offsets, next, buckets32, word(launched)?);
                match partials_so_far {
                    None => KernelArgs::from(AccumulateBasesArgs {
                        bases,
                        entries,
                        offsets,
                        chunk_offsets,
                        partials,
                        buckets,
                        launched,
                    }),
                    Some(previous) => {
                        AccumulatePartialsArgs { previous, offsets, chunk_offsets, partials, buckets, launched }.into()
                    }
                }
            };
            b.launch(launched, args)?;
            partials_so_far = Some(next);
            level_offsets = chunk_offsets;
            items_bound = launched;
            largest = largest.div_ceil(CHUNK);
            if largest <= 1 {
                break;
            }
        }
        let partials = partials_so_far.ok_or_else(|| GpuError::Msm("the accumulation made no level".into()))?;
        let bucket_sums = b.poisoned("bucket sums", buckets * xyzz);
        b.launch(buckets, GatherBucketsArgs { partials, offsets: level_offsets, bucket_sums, buckets: buckets32 })?;
        // The suffix sums overwrite the bucket sums; keep a copy when they are wanted.
        let kept_bucket_sums = keep_phases.then(|| b.duplicate(bucket_sums, "bucket sums (kept)"));

        // Phases 5-6: bucket reduction to one point per window.
        let segments = per_window.div_ceil(SEGMENT);
        let total = windows * segments;
        let total32 = word(total)?;
        b.launch(total, SuffixSumsArgs { bucket_sums, window_bits, total: total32 })?;
        let mut shares = b.poisoned("segment shares", total * xyzz);
        b.launch(total, SumGroupsArgs { points: bucket_sums, sums: shares, count: word(per_window)?, total: total32 })?;
        b.launch(total, WeightSegmentsArgs { suffix_sums: bucket_sums, shares, window_bits, total: total32 })?;
        let mut count = segments;
        while count > 1 {
            let groups = count.div_ceil(GROUP);
            let sums = b.poisoned("group sums", windows * groups * xyzz);
            let rows_total = windows * groups;
            let args = SumGroupsArgs { points: shares, sums, count: word(count)?, total: word(rows_total)? };
            b.launch(rows_total, args)?;
            shares = sums;
            count = groups;
        }
        let outputs = Outputs {
            window_sums: shares,
            offsets: keep_phases.then_some(offsets),
            entries: keep_phases.then_some(entries),
            bucket_sums: kept_bucket_sums,
        };
        let schedule = Schedule {
            curve: b.curve,
            points: n,
            plan,
            affine_words: affine,
            xyzz_words: xyzz,
            buffers: b.buffers,
            steps: b.steps,
            outputs,
        };
        schedule.validate()?;
        Ok(schedule)
    }

    /// The buffer of `P`'s bases and the buffer of the scalars.
    pub fn inputs(&self) -> (Option<BufferId>, Option<BufferId>) {
        let find = |source| self.buffers.iter().position(|b| b.source == source).map(BufferId);
        (find(BufferSource::Bases), find(BufferSource::Scalars))
    }

    /// Every launch, in order.
    pub fn launches(&self) -> impl Iterator<Item = &Launch> {
        self.steps.iter().filter_map(|s| match s {
            Step::Launch(l) => Some(l),
            Step::Duplicate { .. } => None,
        })
    }

    /// For each buffer, the last step that uses it; `None` for outputs (kept to the end)
    /// and for buffers no step uses.
    pub fn last_uses(&self) -> Vec<Option<usize>> {
        let mut last = vec![None; self.buffers.len()];
        for (index, step) in self.steps.iter().enumerate() {
            for id in step_buffers(step) {
                if let Some(slot) = last.get_mut(id.0) {
                    *slot = Some(index);
                }
            }
        }
        let o = self.outputs;
        for id in [Some(o.window_sums), o.offsets, o.entries, o.bucket_sums].into_iter().flatten() {
            if let Some(slot) = last.get_mut(id.0) {
                *slot = None;
            }
        }
        last
    }

    /// The most words the schedule's own buffers hold at once, when each is allocated
    /// at its first use and freed after its last, as the CUDA executor does (the
    /// bases, already resident, are not counted; the scalars are).
    pub fn peak_words(&self) -> usize {
        let last_uses = self.last_uses();
        let mut live = vec![false; self.buffers.len()];
        let mut current = 0usize;
        let mut peak = 0usize;
        let allocate = |id: BufferId, live: &mut Vec<bool>, current: &mut usize| {
            if let Some(slot) = live.get_mut(id.0) {
                if !*slot && self.buffers[id.0].source != BufferSource::Bases {
                    *slot = true;
                    *current += self.buffers[id.0].words;
                }
            }
        };
        if let (_, Some(scalars)) = self.inputs() {
            allocate(scalars, &mut live, &mut current);
        }
        for (index, step) in self.steps.iter().enumerate() {
            for id in step_buffers(step) {
                allocate(id, &mut live, &mut current);
            }
            peak = peak.max(current);
            for (id, last) in last_uses.iter().enumerate() {
                if *last == Some(index) && live[id] {
                    live[id] = false;
                    current -= self.buffers[id].words;
                }
            }
        }
        peak.max(current)
    }
}

/// The buffers a step touches.
fn step_buffers(step: &Step) -> Vec<BufferId> {
    match step {
        Step::Launch(l) => l.args.buffers(),
        Step::Duplicate { from, to } => vec![*from, *to],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::g1::Config as G1;
    use ark_bn254::g2::Config as G2;

    fn schedule(points: usize, c: u32) -> Schedule {
        Schedule::new::<G1>(points, MsmPlan::with_window_bits(c), true).unwrap()
    }

    #[test]
    fn every_kernel_has_an_entry_point_on_both_curves() {
        let mut named = std::collections::BTreeSet::new();
        for kernel in Kernel::ALL {
            for curve in [Curve::G1, Curve::G2] {
                named.insert(kernel.entry_point(curve).unwrap().name);
            }
        }
        let listed: std::collections::BTreeSet<_> = MSM.entry_points.iter().map(|e| e.name).collect();
        assert_eq!(named, listed, "Kernel and kernels::MSM name the same kernels");
    }

    #[test]
    fn schedules_for_every_plan_and_many_sizes_validate() {
        for c in 2..=MAX_WINDOW_BITS {
            for n in [1, 2, 31, 32, 33, 1000, 1025, 70_000] {
                for keep in [false, true] {
                    let s = Schedule::new::<G1>(n, MsmPlan::with_window_bits(c), keep).unwrap();
                    assert!(s.validate().is_ok());
                    assert_eq!(s.outputs.bucket_sums.is_some(), keep);
                }
            }
        }
        for n in [1, 300, 1 << 20, 1 << 24, max_points(&MsmPlan::with_window_bits(16))] {
            let s = Schedule::new::<G2>(n, MsmPlan::for_size(n), false).unwrap();
            assert!(s.validate().is_ok(), "G2 n={n}");
        }
    }

    #[test]
    fn sizes_outside_the_kernels_range_are_refused() {
        assert!(Schedule::new::<G1>(0, MsmPlan::for_size(1), false).is_err());
        assert!(Schedule::new::<G1>(MAX_SCHEDULE_POINTS + 1, MsmPlan::for_size(1), false).is_err());
        // n·W must fit the 32-bit entry counts: 268 435 455 points at c = 16, fewer below.
        let c16 = MsmPlan::with_window_bits(16);
        assert_eq!(max_points(&c16), 268_435_455);
        assert!(Schedule::new::<G1>(max_points(&c16) + 1, c16, false).is_err());
        let c2 = MsmPlan::with_window_bits(2);
        assert_eq!(max_points(&c2), u32::MAX as usize / 128);
        assert!(Schedule::new::<G1>(max_points(&c2), c2, false).is_ok());
        assert!(Schedule::new::<G1>(max_points(&c2) + 1, c2, false).is_err());
        let bad_plan = MsmPlan { window_bits: 17, windows: 15, buckets_per_window: 1 << 16 };
        assert!(Schedule::new::<G1>(10, bad_plan, false).is_err());
        let inconsistent = MsmPlan { windows: 3, ..MsmPlan::with_window_bits(8) };
        assert!(Schedule::new::<G1>(10, inconsistent, false).is_err());
    }

    #[test]
    fn levels_and_reductions_follow_the_size() {
        // n = 1100 at c = 4: bucket bound 1100 -> 35 -> 2 -> 1, three accumulation levels.
        let s = schedule(1100, 4);
        let count = |k| s.launches().filter(|l| l.kernel() == k).count();
        assert_eq!(count(Kernel::AccumulateBases), 1);
        assert_eq!(count(Kernel::AccumulatePartials), 2);
        // c = 16: 2^15 buckets per window, 1024 segments -> 32 -> 1: three group sums.
        let s = schedule(5, 16);
        assert_eq!(s.launches().filter(|l| l.kernel() == Kernel::SumGroups).count(), 3);
        // Bucket offsets of 17·2^15 + 1 words need the second scan level.
        assert!(s.launches().any(|l| l.kernel() == Kernel::ScanAddBlockOffsets));
    }

    #[test]
    fn peak_memory_counts_live_buffers_only() {
        let s = schedule(1000, 6);
        let everything: usize = s.buffers.iter().filter(|b| b.source != BufferSource::Bases).map(|b| b.words).sum();
        let peak = s.peak_words();
        // At least the largest single step's buffers, at most all of them at once.
        let largest_step: usize = s
            .steps
            .iter()
            .map(|step| {
                let mut ids = step_buffers(step);
                ids.sort();
                ids.dedup();
                ids.iter()
                    .filter(|id| s.buffers[id.0].source != BufferSource::Bases)
                    .map(|id| s.buffers[id.0].words)
                    .sum::<usize>()
            })
            .max()
            .unwrap();
        assert!(largest_step <= peak && peak < everything, "{largest_step} <= {peak} < {everything}");
        // 2^24 G1 points: the entries and first-level partials dominate, a few GiB.
        let big = Schedule::new::<G1>(1 << 24, MsmPlan::for_size(1 << 24), false).unwrap();
        let gib = big.peak_words() as f64 * 4.0 / f64::from(1 << 30);
        assert!((1.0..8.0).contains(&gib), "{gib} GiB");
    }

    #[test]
    fn outputs_are_never_freed_and_scratch_is() {
        let s = schedule(100, 5);
        let last = s.last_uses();
        assert_eq!(last[s.outputs.window_sums.0], None);
        assert_eq!(last[s.outputs.offsets.unwrap().0], None);
        let (bases, scalars) = s.inputs();
        assert!(last[bases.unwrap().0].is_some() && last[scalars.unwrap().0].is_some());
    }

    /// The first launch of `kernel` in `s`, mutably.
    fn launch_of(s: &mut Schedule, kernel: Kernel) -> &mut Launch {
        s.steps
            .iter_mut()
            .find_map(|step| match step {
                Step::Launch(l) if l.kernel() == kernel => Some(l),
                _ => None,
            })
            .unwrap()
    }

    fn rejected(s: &Schedule, needle: &str) {
        let err = s.validate().unwrap_err();
        assert!(err.reason.contains(needle), "expected '{needle}' in: {err}");
    }

    /// The arguments of the first launch of `$variant`, mutably, as its struct.
    macro_rules! args_of {
        ($s:expr, $variant:ident) => {
            match &mut launch_of(&mut $s, Kernel::$variant).args {
                KernelArgs::$variant(a) => a,
                other => unreachable!("{other:?}"),
            }
        };
    }

    #[test]
    fn validate_rejects_wrong_arguments() {
        let honest = schedule(100, 5);
        assert!(honest.validate().is_ok());

        let mut s = honest.clone();
        launch_of(&mut s, Kernel::SumGroups).threads = 256;
        rejected(&s, "runs with 128 threads per block");

        let mut s = honest.clone();
        launch_of(&mut s, Kernel::GatherBuckets).blocks = 0;
        rejected(&s, "not a valid grid");

        let mut s = honest.clone();
        args_of!(s, SuffixSums).window_bits = 17;
        rejected(&s, "window bits 17");

        let mut s = honest.clone();
        let a = args_of!(s, SumGroups);
        a.sums = a.points;
        rejected(&s, "passed twice");

        let mut s = honest.clone();
        args_of!(s, CountDigits).n = u32::MAX / 10;
        launch_of(&mut s, Kernel::CountDigits).blocks = u32::MAX / 10 / 256 + 1;
        rejected(&s, "overflow 32-bit entry counts");

        let mut s = honest.clone();
        launch_of(&mut s, Kernel::AccumulateBases).blocks = (1 << 25) + 1;
        rejected(&s, "overflow a 32-bit thread index");
    }

    #[test]
    fn validate_rejects_values_read_through_the_wrong_offsets() {
        let honest = schedule(3000, 6);
        // The first level's partials gathered with the bucket offsets instead of the
        // chunk offsets they were written by.
        let mut s = schedule(1, 4);
        let offsets = s.outputs.offsets.unwrap();
        args_of!(s, GatherBuckets).offsets = offsets;
        rejected(&s, "is not the partials written by");

        // Entries paired with chunk offsets instead of the bucket offsets.
        let mut s = honest.clone();
        let a = args_of!(s, AccumulateBases);
        a.offsets = a.chunk_offsets;
        rejected(&s, "passed twice");
        let mut s = honest.clone();
        let chunk_offsets = args_of!(s, AccumulatePartials).chunk_offsets;
        args_of!(s, AccumulateBases).offsets = chunk_offsets;
        rejected(&s, "not scattered by a copy of these offsets");

        // A later level's chunks counted from the bucket offsets instead of the level
        // before's chunk offsets (would read past the partials on the device).
        let mut s = honest.clone();
        let offsets = s.outputs.offsets.unwrap();
        let second_count = s
            .steps
            .iter()
            .enumerate()
            .filter(|(_, step)| matches!(step, Step::Launch(l) if l.kernel() == Kernel::CountChunks))
            .nth(1)
            .unwrap()
            .0;
        if let Step::Launch(Launch { args: KernelArgs::CountChunks(a), .. }) = &mut s.steps[second_count] {
            a.offsets = offsets;
        }
        rejected(&s, "were not counted from");

        // Level 0 launching fewer chunks than the entries can fill (grid and buffer
        // shrunk to match, so only the provenance check can tell).
        let mut s = honest.clone();
        let buckets = s.plan.buckets() as u32;
        args_of!(s, AccumulateBases).launched = buckets;
        let launch = launch_of(&mut s, Kernel::AccumulateBases);
        launch.blocks = buckets.div_ceil(launch.threads);
        rejected(&s, "fewer than the entries can fill");

        // The second scan level dropped: the offsets are only block-wise scans.
        let mut s = schedule(5, 16);
        let add = s
            .steps
            .iter()
            .position(|step| matches!(step, Step::Launch(l) if l.kernel() == Kernel::ScanAddBlockOffsets))
            .unwrap();
        s.steps.remove(add);
        let err = s.validate().unwrap_err();
        assert!(err.reason.contains("not a complete scan") || err.reason.contains("not a copy of scanned"), "{err}");

        // Bases replaced by another buffer of the same length.
        let mut s = honest.clone();
        let mut zeroed = s.buffers[s.inputs().0.unwrap().0].clone();
        zeroed.source = BufferSource::Zeroed;
        s.buffers.push(zeroed);
        let id = BufferId(s.buffers.len() - 1);
        args_of!(s, AccumulateBases).bases = id;
        rejected(&s, "not the bases");
    }

    #[test]
    fn validate_rejects_short_grids() {
        let honest = schedule(3000, 6);
        for kernel in [Kernel::CountDigits, Kernel::AccumulateBases, Kernel::CountChunks, Kernel::SumGroups] {
            let mut s = honest.clone();
            let launch = launch_of(&mut s, kernel);
            launch.blocks -= 1;
            if launch.blocks == 0 {
                continue;
            }
            rejected(&s, "needed");
        }
        let mut s = schedule(5, 16);
        launch_of(&mut s, Kernel::ScanBlocks).blocks -= 1;
        rejected(&s, "do not cover");
    }

    #[test]
    fn validate_rejects_short_buffers() {
        let honest = schedule(3000, 6);
        let mut s = honest.clone();
        let cases: [(Kernel, BufferId, &str); 8] = [
            (Kernel::CountDigits, args_of!(s, CountDigits).scalars, "scalars"),
            (Kernel::CountDigits, args_of!(s, CountDigits).bucket_counts, "bucket_counts"),
            (Kernel::ScatterEntries, args_of!(s, ScatterEntries).entries, "entries"),
            (Kernel::AccumulateBases, args_of!(s, AccumulateBases).bases, "bases"),
            (Kernel::AccumulateBases, args_of!(s, AccumulateBases).partials, "partials"),
            (Kernel::GatherBuckets, args_of!(s, GatherBuckets).bucket_sums, "bucket_sums"),
            (Kernel::SuffixSums, args_of!(s, SuffixSums).bucket_sums, "bucket_sums"),
            (Kernel::SumGroups, args_of!(s, SumGroups).sums, "sums"),
        ];
        for (kernel, id, param) in cases {
            let mut s = honest.clone();
            s.buffers[id.0].words -= 1;
            // The first launch that indexes the shortened buffer is the one refused,
            // and the message names the parameter and the buffer.
            let err = s.validate().unwrap_err();
            let buffer = s.buffers[id.0].name;
            assert!(err.reason.contains(&format!("({buffer}) has")), "{kernel:?} {param}: {err}");
            assert!(err.reason.contains("` ("), "{kernel:?} {param}: {err}");
        }
    }

    #[test]
    fn validate_rejects_buffers_used_before_they_exist() {
        let mut s = schedule(100, 5);
        let copy = s.steps.iter().position(|step| matches!(step, Step::Duplicate { .. })).unwrap();
        let step = s.steps.remove(copy);
        s.steps.push(step);
        rejected(&s, "used before it is made");
    }
}
