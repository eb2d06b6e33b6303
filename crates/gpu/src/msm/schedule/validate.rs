//! Validating a schedule: every launch against its kernel's record and contract, and
//! the provenance of every buffer whose contents index another (see the parent module's
//! docs). Building is in the parent module; this part only reads a schedule.

use super::*;

impl Schedule {
    /// Checks every step; see the module documentation. A schedule from
    /// [`Schedule::new`] always passes; the CUDA executor checks again before running.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let at = |step: usize| move |reason: String| ScheduleError { step, reason };
        let mut defined: Vec<bool> = self.buffers.iter().map(|b| b.source != BufferSource::Duplicate).collect();
        let mut provenance = Provenance::default();
        if self.buffers.iter().any(|b| b.words == 0) {
            return Err(at(0)("a buffer has no words".into()));
        }
        for (index, step) in self.steps.iter().enumerate() {
            for id in step_buffers(step) {
                let spec = self.buffers.get(id.0).ok_or_else(|| at(index)(format!("no buffer {}", id.0)))?;
                let is_new_copy = matches!(step, Step::Duplicate { to, .. } if *to == id);
                if !defined[id.0] && !is_new_copy {
                    return Err(at(index)(format!("{} is used before it is made", spec.name)));
                }
            }
            match step {
                Step::Duplicate { from, to } => {
                    let (source, target) = (&self.buffers[from.0], &self.buffers[to.0]);
                    if defined[to.0] || target.source != BufferSource::Duplicate {
                        return Err(at(index)(format!("{} is made twice", target.name)));
                    }
                    if target.words != source.words {
                        return Err(at(index)(format!("{} is not as long as {}", target.name, source.name)));
                    }
                    defined[to.0] = true;
                    provenance.record_duplicate(*from, *to);
                }
                Step::Launch(launch) => {
                    self.check_launch(launch).map_err(at(index))?;
                    provenance.check_and_record(self, launch).map_err(at(index))?;
                }
            }
        }
        let o = self.outputs;
        for id in [Some(o.window_sums), o.offsets, o.entries, o.bucket_sums].into_iter().flatten() {
            if id.0 >= self.buffers.len() {
                return Err(at(self.steps.len())(format!("output buffer {} does not exist", id.0)));
            }
        }
        if self.buffers[o.window_sums.0].words < self.plan.windows as usize * self.xyzz_words {
            return Err(at(self.steps.len())("the window sums buffer is shorter than W points".into()));
        }
        Ok(())
    }

    /// One launch against its entry point and its kernel's contract. The arguments'
    /// count and kinds are the argument struct's, which is also the entry point's
    /// record (checked in `args.rs`): nothing positional is left to check.
    fn check_launch(&self, launch: &Launch) -> Result<(), String> {
        let entry = launch.kernel().entry_point(self.curve).map_err(|e| e.to_string())?;
        let name = entry.name;
        if launch.threads != entry.block_threads() {
            return Err(format!(
                "{name} runs with {} threads per block, given {}",
                entry.block_threads(),
                launch.threads
            ));
        }
        if launch.blocks == 0 || launch.blocks > i32::MAX as u32 {
            return Err(format!("{name}: {} blocks is not a valid grid", launch.blocks));
        }
        // The kernels number their threads in 32 bits.
        if u64::from(launch.blocks) * u64::from(launch.threads) > 1 << 32 {
            return Err(format!(
                "{name}: {} x {} threads overflow a 32-bit thread index",
                launch.blocks, launch.threads
            ));
        }
        // Every pointer is `__restrict__`: no buffer may be passed twice.
        let mut seen = Vec::new();
        for id in launch.args.buffers() {
            if seen.contains(&id) {
                return Err(format!("{name}: buffer {} is passed twice to __restrict__ parameters", id.0));
            }
            seen.push(id);
        }
        let contract = Contract { schedule: self, launch, name };
        contract.check()
    }
}

/// Where the buffers whose contents index other buffers came from, checked step by
/// step. The accumulation kernels read `values[offsets[b]..offsets[b + 1])` and find a
/// chunk's bucket through `chunk_offsets`, all values only the device knows. Those reads
/// stay inside their buffers when:
/// - the bucket offsets are a complete exclusive scan (one block, or block scans plus
///   the scanned block totals added back) of the counts of the entries, and the cursors
///   that scattered the entries were a copy of them, made after that scan;
/// - each level's chunk offsets are a complete scan of the chunk counts made from the
///   very offsets the level then reads by;
/// - the previous level's values are the partials written by those offsets;
/// - each level launched at least `⌈items / CHUNK⌉ + B` chunks, a bound on the chunks
///   its offsets can count, where `items` bounds the previous level's values (the
///   entries buffer's length at level 0, the previous launch count after).
#[derive(Default)]
struct Provenance {
    /// Buffers holding a complete exclusive scan.
    scanned: std::collections::HashSet<BufferId>,
    /// Buffers whose blocks were scanned (more than one block), and the block totals.
    block_scanned: std::collections::HashMap<BufferId, BufferId>,
    /// Copies of a scanned buffer, made after the scan, and their source.
    copies_of_scans: std::collections::HashMap<BufferId, BufferId>,
    /// Chunk-count buffers, and the offsets they were counted from.
    chunks: std::collections::HashMap<BufferId, BufferId>,
    /// Entry buffers, and the cursors that scattered into them.
    entries: std::collections::HashMap<BufferId, BufferId>,
    /// Partial-sum buffers: the chunk offsets their launch wrote them by, and its
    /// launch count.
    partials: std::collections::HashMap<BufferId, (BufferId, u64)>,
}

impl Provenance {
    fn record_duplicate(&mut self, from: BufferId, to: BufferId) {
        if self.scanned.contains(&from) {
            self.copies_of_scans.insert(to, from);
        }
    }

    fn check_and_record(&mut self, schedule: &Schedule, launch: &Launch) -> Result<(), String> {
        let kernel = launch.kernel();
        let name = |id: BufferId| schedule.buffers[id.0].name;
        let buckets = schedule.plan.buckets() as u64;
        let chunk_bound = |items: u64| items.div_ceil(CHUNK as u64) + buckets;
        // A level's offsets and chunk offsets: the chunk offsets are a complete scan of
        // counts made from these offsets, which are themselves a complete scan.
        let level = |offsets: BufferId, chunk_offsets: BufferId| -> Result<(), String> {
            if !self.scanned.contains(&offsets) || !self.scanned.contains(&chunk_offsets) {
                return Err(format!("{kernel:?}: {} or {} is not a complete scan", name(offsets), name(chunk_offsets)));
            }
            if self.chunks.get(&chunk_offsets) != Some(&offsets) {
                return Err(format!("{kernel:?}: {} were not counted from {}", name(chunk_offsets), name(offsets)));
            }
            Ok(())
        };
        let written_by = |values: BufferId, offsets: BufferId| -> Result<u64, String> {
            match self.partials.get(&values) {
                Some(&(by, launched)) if by == offsets => Ok(launched),
                _ => Err(format!("{kernel:?}: {} is not the partials written by {}", name(values), name(offsets))),
            }
        };
        match launch.args {
            KernelArgs::ScanBlocks(a) => {
                if launch.blocks == 1 {
                    self.scanned.insert(a.data);
                } else {
                    self.block_scanned.insert(a.data, a.block_totals);
                }
            }
            KernelArgs::ScanAddBlockOffsets(a) => {
                if self.block_scanned.get(&a.data) != Some(&a.block_offsets) || !self.scanned.contains(&a.block_offsets)
                {
                    let (data, totals) = (name(a.data), name(a.block_offsets));
                    return Err(format!("{kernel:?}: {data} has no scanned block totals in {totals}"));
                }
                self.scanned.insert(a.data);
            }
            KernelArgs::ScatterEntries(a) => {
                if !self.copies_of_scans.contains_key(&a.cursors) {
                    return Err(format!("{kernel:?}: {} is not a copy of scanned offsets", name(a.cursors)));
                }
                self.entries.insert(a.entries, a.cursors);
            }
            KernelArgs::CountChunks(a) => {
                if !self.scanned.contains(&a.offsets) {
                    return Err(format!("{kernel:?}: {} is not a complete scan", name(a.offsets)));
                }
                self.scanned.remove(&a.chunk_counts);
                self.chunks.insert(a.chunk_counts, a.offsets);
            }
            KernelArgs::AccumulateBases(a) => {
                if schedule.buffers[a.bases.0].source != BufferSource::Bases {
                    return Err(format!("{kernel:?}: `bases` is not the bases"));
                }
                let cursors = self.entries.get(&a.entries);
                if cursors.and_then(|c| self.copies_of_scans.get(c)) != Some(&a.offsets) {
                    return Err(format!("{kernel:?}: the entries were not scattered by a copy of these offsets"));
                }
                level(a.offsets, a.chunk_offsets)?;
                let launched = u64::from(a.launched);
                if launched < chunk_bound(schedule.buffers[a.entries.0].words as u64) {
                    return Err(format!("{kernel:?}: {launched} chunks launched, fewer than the entries can fill"));
                }
                self.partials.insert(a.partials, (a.chunk_offsets, launched));
            }
            KernelArgs::AccumulatePartials(a) => {
                let previous_launched = written_by(a.previous, a.offsets)?;
                level(a.offsets, a.chunk_offsets)?;
                let launched = u64::from(a.launched);
                if launched < chunk_bound(previous_launched) {
                    return Err(format!("{kernel:?}: {launched} chunks launched, fewer than the partials can fill"));
                }
                self.partials.insert(a.partials, (a.chunk_offsets, launched));
            }
            KernelArgs::GatherBuckets(a) => {
                written_by(a.partials, a.offsets)?;
            }
            KernelArgs::CountDigits(_)
            | KernelArgs::SuffixSums(_)
            | KernelArgs::WeightSegments(_)
            | KernelArgs::SumGroups(_) => {}
        }
        Ok(())
    }
}

/// What one kernel needs of its launch, as functions of its integer arguments: the
/// threads it guards on, and the words of each buffer it may index. (Reads that depend
/// on data, such as `entries[offsets[b]..]` or `bases[entry >> 1]`, stay inside by
/// construction: offsets are scans of the counts of what was stored.)
struct Contract<'a> {
    schedule: &'a Schedule,
    launch: &'a Launch,
    name: &'static str,
}

impl Contract<'_> {
    /// `buffer` (passed as this kernel's parameter of that name) holds at least `words`.
    fn needs(&self, buffer: BufferId, words: u64) -> Result<(), String> {
        let spec = &self.schedule.buffers[buffer.0];
        if (spec.words as u64) < words {
            let param = self.launch.args.param_of(buffer);
            return Err(format!("{}: `{param}` ({}) has {} words, needs {words}", self.name, spec.name, spec.words));
        }
        Ok(())
    }

    fn covers(&self, threads: u64) -> Result<(), String> {
        let launched = u64::from(self.launch.blocks) * u64::from(self.launch.threads);
        if launched < threads {
            return Err(format!("{}: {launched} threads launched, {threads} needed", self.name));
        }
        Ok(())
    }

    fn window_bits(&self, c: u32) -> Result<u64, String> {
        if !(2..=MAX_WINDOW_BITS).contains(&c) {
            return Err(format!("{}: window bits {c} outside 2..={MAX_WINDOW_BITS}", self.name));
        }
        Ok(u64::from(c))
    }

    /// Entries are counted in 32 bits: n points of `windows(c)` digits must fit.
    fn entries_fit(&self, n: u64, windows: u64) -> Result<(), String> {
        if n * windows > u64::from(u32::MAX) {
            return Err(format!("{}: {n} points x {windows} windows overflow 32-bit entry counts", self.name));
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        let (xyzz, scalar) = (self.schedule.xyzz_words as u64, SCALAR_WORDS as u64);
        let windows = |c: u64| 254 / c + 1;
        let per_window = |c: u64| 1u64 << (c - 1);
        let segments = |c: u64| per_window(c).div_ceil(SEGMENT as u64);
        let suffix_rows = |c: u64, total: u64| {
            if !total.is_multiple_of(segments(c)) {
                return Err(format!("{}: {total} is not whole windows of {} segments", self.name, segments(c)));
            }
            Ok(total / segments(c) * per_window(c) * xyzz)
        };
        match self.launch.args {
            KernelArgs::CountDigits(a) => {
                let (n, c) = (u64::from(a.n), self.window_bits(a.window_bits)?);
                // Bucket counts, offsets and cursors are u32 and reach the entry count.
                self.entries_fit(n, windows(c))?;
                self.covers(n)?;
                self.needs(a.scalars, n * scalar)?;
                self.needs(a.canonical, n * scalar)?;
                self.needs(a.bucket_counts, windows(c) * per_window(c) + 1)
            }
            KernelArgs::ScatterEntries(a) => {
                let (n, c) = (u64::from(a.n), self.window_bits(a.window_bits)?);
                self.entries_fit(n, windows(c))?;
                self.covers(n)?;
                self.needs(a.canonical, n * scalar)?;
                self.needs(a.cursors, windows(c) * per_window(c) + 1)?;
                self.needs(a.entries, n * windows(c))
            }
            KernelArgs::ScanBlocks(a) => {
                let n = u64::from(a.n);
                // Exactly the blocks the elements need: a block's element index is 32-bit.
                let blocks = n.div_ceil(SCAN_BLOCK_ELEMENTS as u64).max(1);
                if u64::from(self.launch.blocks) != blocks {
                    return Err(format!(
                        "{}: {} blocks do not cover {n} elements ({blocks} do)",
                        self.name, self.launch.blocks
                    ));
                }
                self.needs(a.data, n)?;
                // Every launched block writes its total.
                self.needs(a.block_totals, u64::from(self.launch.blocks))
            }
            KernelArgs::ScanAddBlockOffsets(a) => {
                let n = u64::from(a.n);
                self.covers(n)?;
                self.needs(a.data, n)?;
                self.needs(a.block_offsets, n.div_ceil(SCAN_BLOCK_ELEMENTS as u64))
            }
            KernelArgs::CountChunks(a) => {
                let buckets = u64::from(a.buckets);
                self.covers(buckets + 1)?;
                self.needs(a.offsets, buckets + 1)?;
                self.needs(a.chunk_counts, buckets + 1)
            }
            KernelArgs::AccumulateBases(a) => {
                let (buckets, launched) = (u64::from(a.buckets), u64::from(a.launched));
                self.covers(launched)?;
                self.needs(a.bases, (self.schedule.points * self.schedule.affine_words) as u64)?;
                self.needs(a.offsets, buckets + 1)?;
                self.needs(a.chunk_offsets, buckets + 1)?;
                self.needs(a.partials, launched * xyzz)
            }
            KernelArgs::AccumulatePartials(a) => {
                let (buckets, launched) = (u64::from(a.buckets), u64::from(a.launched));
                self.covers(launched)?;
                self.needs(a.offsets, buckets + 1)?;
                self.needs(a.chunk_offsets, buckets + 1)?;
                self.needs(a.partials, launched * xyzz)
            }
            KernelArgs::GatherBuckets(a) => {
                let buckets = u64::from(a.buckets);
                self.covers(buckets)?;
                self.needs(a.offsets, buckets + 1)?;
                self.needs(a.bucket_sums, buckets * xyzz)
            }
            KernelArgs::SuffixSums(a) => {
                let (c, total) = (self.window_bits(a.window_bits)?, u64::from(a.total));
                let rows = suffix_rows(c, total)?;
                self.covers(total)?;
                self.needs(a.bucket_sums, rows)
            }
            KernelArgs::WeightSegments(a) => {
                let (c, total) = (self.window_bits(a.window_bits)?, u64::from(a.total));
                let rows = suffix_rows(c, total)?;
                self.covers(total)?;
                self.needs(a.suffix_sums, rows)?;
                self.needs(a.shares, total * xyzz)
            }
            KernelArgs::SumGroups(a) => {
                let (count, total) = (u64::from(a.count), u64::from(a.total));
                let groups = count.div_ceil(GROUP as u64);
                if count == 0 || !total.is_multiple_of(groups) {
                    return Err(format!("{}: {total} outputs are not whole rows of {groups} groups", self.name));
                }
                self.covers(total)?;
                self.needs(a.points, total / groups * count * xyzz)?;
                self.needs(a.sums, total * xyzz)
            }
        }
    }
}
