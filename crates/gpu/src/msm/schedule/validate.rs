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

    /// One launch against its entry point and its kernel's contract.
    fn check_launch(&self, launch: &Launch) -> Result<(), String> {
        let entry = launch.kernel.entry_point(self.curve).map_err(|e| e.to_string())?;
        let name = entry.name;
        if launch.args.len() != entry.params.len() {
            return Err(format!("{name} takes {} arguments, given {}", entry.params.len(), launch.args.len()));
        }
        for (i, (arg, kind)) in launch.args.iter().zip(entry.params).enumerate() {
            let matches =
                matches!((arg, kind), (Arg::Buffer(_), ParamKind::Pointer) | (Arg::U32(_), ParamKind::Word32));
            if !matches {
                return Err(format!("{name} argument {i} must be a {kind:?}, given {arg:?}"));
            }
        }
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
        for arg in &launch.args {
            if let Arg::Buffer(id) = arg {
                if seen.contains(id) {
                    return Err(format!("{name}: buffer {} is passed twice to __restrict__ parameters", id.0));
                }
                seen.push(*id);
            }
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
        let kernel = launch.kernel;
        let id = |i: usize| match launch.args.get(i) {
            Some(Arg::Buffer(id)) => Ok(*id),
            _ => Err(format!("{kernel:?}: argument {i} is not a buffer")),
        };
        let word = |i: usize| match launch.args.get(i) {
            Some(Arg::U32(v)) => Ok(u64::from(*v)),
            _ => Err(format!("{kernel:?}: argument {i} is not an integer")),
        };
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
        match kernel {
            Kernel::ScanBlocks => {
                let data = id(0)?;
                if launch.blocks == 1 {
                    self.scanned.insert(data);
                } else {
                    self.block_scanned.insert(data, id(1)?);
                }
            }
            Kernel::ScanAddBlockOffsets => {
                let (data, totals) = (id(0)?, id(1)?);
                if self.block_scanned.get(&data) != Some(&totals) || !self.scanned.contains(&totals) {
                    return Err(format!("{kernel:?}: {} has no scanned block totals in {}", name(data), name(totals)));
                }
                self.scanned.insert(data);
            }
            Kernel::ScatterEntries => {
                let (cursors, entries) = (id(1)?, id(2)?);
                if !self.copies_of_scans.contains_key(&cursors) {
                    return Err(format!("{kernel:?}: {} is not a copy of scanned offsets", name(cursors)));
                }
                self.entries.insert(entries, cursors);
            }
            Kernel::CountChunks => {
                let (offsets, counts) = (id(0)?, id(1)?);
                if !self.scanned.contains(&offsets) {
                    return Err(format!("{kernel:?}: {} is not a complete scan", name(offsets)));
                }
                self.scanned.remove(&counts);
                self.chunks.insert(counts, offsets);
            }
            Kernel::AccumulateBases => {
                let (bases, entries, offsets, chunk_offsets, partials) = (id(0)?, id(1)?, id(2)?, id(3)?, id(4)?);
                if schedule.buffers[bases.0].source != BufferSource::Bases {
                    return Err(format!("{kernel:?}: argument 0 is not the bases"));
                }
                let cursors = self.entries.get(&entries);
                if cursors.and_then(|c| self.copies_of_scans.get(c)) != Some(&offsets) {
                    return Err(format!("{kernel:?}: the entries were not scattered by a copy of these offsets"));
                }
                level(offsets, chunk_offsets)?;
                let launched = word(6)?;
                if launched < chunk_bound(schedule.buffers[entries.0].words as u64) {
                    return Err(format!("{kernel:?}: {launched} chunks launched, fewer than the entries can fill"));
                }
                self.partials.insert(partials, (chunk_offsets, launched));
            }
            Kernel::AccumulatePartials => {
                let (previous, offsets, chunk_offsets, partials) = (id(0)?, id(1)?, id(2)?, id(3)?);
                let previous_launched = written_by(previous, offsets)?;
                level(offsets, chunk_offsets)?;
                let launched = word(5)?;
                if launched < chunk_bound(previous_launched) {
                    return Err(format!("{kernel:?}: {launched} chunks launched, fewer than the partials can fill"));
                }
                self.partials.insert(partials, (chunk_offsets, launched));
            }
            Kernel::GatherBuckets => {
                written_by(id(0)?, id(1)?)?;
            }
            _ => {}
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
    fn word(&self, i: usize) -> u64 {
        match self.launch.args.get(i) {
            Some(Arg::U32(v)) => u64::from(*v),
            _ => 0,
        }
    }

    fn needs(&self, i: usize, words: u64) -> Result<(), String> {
        let Some(Arg::Buffer(id)) = self.launch.args.get(i) else { return Ok(()) };
        let spec = &self.schedule.buffers[id.0];
        if (spec.words as u64) < words {
            return Err(format!("{}: argument {i} ({}) has {} words, needs {words}", self.name, spec.name, spec.words));
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

    fn window_bits(&self, i: usize) -> Result<u64, String> {
        let c = self.word(i);
        if !(2..=u64::from(MAX_WINDOW_BITS)).contains(&c) {
            return Err(format!("{}: window bits {c} outside 2..={MAX_WINDOW_BITS}", self.name));
        }
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        let (xyzz, scalar) = (self.schedule.xyzz_words as u64, SCALAR_WORDS as u64);
        let windows = |c: u64| 254 / c + 1;
        let per_window = |c: u64| 1u64 << (c - 1);
        let segments = |c: u64| per_window(c).div_ceil(SEGMENT as u64);
        match self.launch.kernel {
            Kernel::CountDigits | Kernel::ScatterEntries => {
                let (n, c) = (self.word(3), self.window_bits(4)?);
                // Bucket counts, offsets and cursors are u32 and reach the entry count.
                if n * windows(c) > u64::from(u32::MAX) {
                    return Err(format!(
                        "{}: {n} points x {} windows overflow 32-bit entry counts",
                        self.name,
                        windows(c)
                    ));
                }
                self.covers(n)?;
                self.needs(0, n * scalar)?;
                if self.launch.kernel == Kernel::CountDigits {
                    self.needs(1, n * scalar)?;
                    self.needs(2, windows(c) * per_window(c) + 1)
                } else {
                    self.needs(1, windows(c) * per_window(c) + 1)?;
                    self.needs(2, n * windows(c))
                }
            }
            Kernel::ScanBlocks => {
                let n = self.word(2);
                // Exactly the blocks the elements need: a block's element index is 32-bit.
                let blocks = n.div_ceil(SCAN_BLOCK_ELEMENTS as u64).max(1);
                if u64::from(self.launch.blocks) != blocks {
                    return Err(format!(
                        "{}: {} blocks do not cover {n} elements ({blocks} do)",
                        self.name, self.launch.blocks
                    ));
                }
                self.needs(0, n)?;
                // Every launched block writes its total.
                self.needs(1, u64::from(self.launch.blocks))
            }
            Kernel::ScanAddBlockOffsets => {
                let n = self.word(2);
                self.covers(n)?;
                self.needs(0, n)?;
                self.needs(1, n.div_ceil(SCAN_BLOCK_ELEMENTS as u64))
            }
            Kernel::CountChunks => {
                let buckets = self.word(2);
                self.covers(buckets + 1)?;
                self.needs(0, buckets + 1)?;
                self.needs(1, buckets + 1)
            }
            Kernel::AccumulateBases => {
                let (buckets, launched) = (self.word(5), self.word(6));
                self.covers(launched)?;
                self.needs(0, (self.schedule.points * self.schedule.affine_words) as u64)?;
                self.needs(2, buckets + 1)?;
                self.needs(3, buckets + 1)?;
                self.needs(4, launched * xyzz)
            }
            Kernel::AccumulatePartials => {
                let (buckets, launched) = (self.word(4), self.word(5));
                self.covers(launched)?;
                self.needs(1, buckets + 1)?;
                self.needs(2, buckets + 1)?;
                self.needs(3, launched * xyzz)
            }
            Kernel::GatherBuckets => {
                let buckets = self.word(3);
                self.covers(buckets)?;
                self.needs(1, buckets + 1)?;
                self.needs(2, buckets * xyzz)
            }
            Kernel::SuffixSums | Kernel::WeightSegments => {
                let (c_arg, total_arg) = if self.launch.kernel == Kernel::SuffixSums { (1, 2) } else { (2, 3) };
                let (c, total) = (self.window_bits(c_arg)?, self.word(total_arg));
                if total % segments(c) != 0 {
                    return Err(format!("{}: {total} is not whole windows of {} segments", self.name, segments(c)));
                }
                self.covers(total)?;
                self.needs(0, total / segments(c) * per_window(c) * xyzz)?;
                if self.launch.kernel == Kernel::WeightSegments {
                    self.needs(1, total * xyzz)?;
                }
                Ok(())
            }
            Kernel::SumGroups => {
                let (count, total) = (self.word(2), self.word(3));
                let groups = count.div_ceil(GROUP as u64);
                if count == 0 || total % groups != 0 {
                    return Err(format!("{}: {total} outputs are not whole rows of {groups} groups", self.name));
                }
                self.covers(total)?;
                self.needs(0, total / groups * count * xyzz)?;
                self.needs(1, total * xyzz)
            }
        }
    }
}
