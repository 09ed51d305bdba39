//! The keyword prefilter of the text detectors (see [`TrigramFilter`]).

/// The keyword prefilter: a bitset over hashed, case-folded 3-byte prefixes of the trigger words,
/// updated byte by byte (rolling), with an exact case-insensitive comparison on a hit. Unlike an
/// automaton walk, the per-byte work has no dependent table lookups, so it is several times faster on
/// log text where triggers are rare.
pub(crate) struct TrigramFilter {
    bits: Box<[u64; 1024]>,
    /// (bucket, lower-cased word, keyword groups), sorted by bucket.
    words: Vec<(u16, Vec<u8>, u32)>,
}

impl TrigramFilter {
    fn bucket(trigram: u32) -> u16 {
        (trigram.wrapping_mul(0x9E37_79B1) >> 16) as u16
    }

    /// Case folding for hashing only (`| 0x20` lower-cases letters; other bytes map consistently).
    fn fold(byte: u8) -> u32 {
        u32::from(byte | 0x20)
    }

    pub(crate) fn new<'a>(words: impl Iterator<Item = (&'a [u8], u32)>) -> TrigramFilter {
        let mut bits = Box::new([0u64; 1024]);
        let mut entries = Vec::new();
        for (word, groups) in words.filter(|(word, _)| word.len() >= 3) {
            let trigram = (Self::fold(word[0]) << 16) | (Self::fold(word[1]) << 8) | Self::fold(word[2]);
            let bucket = Self::bucket(trigram);
            bits[usize::from(bucket >> 6)] |= 1 << (bucket & 63);
            entries.push((bucket, word.to_ascii_lowercase(), groups));
        }
        entries.sort();
        TrigramFilter { bits, words: entries }
    }

    /// Calls `found(offset, groups)` for every trigger occurrence; stops when it returns false.
    fn for_each(&self, text: &[u8], mut found: impl FnMut(usize, u32) -> bool) {
        let bits: &[u64; 1024] = &self.bits;
        let mut trigram: u32 = 0;
        for (index, &byte) in text.iter().enumerate() {
            trigram = ((trigram << 8) | Self::fold(byte)) & 0x00FF_FFFF;
            let bucket = Self::bucket(trigram);
            if bits[usize::from(bucket >> 6)] & (1 << (bucket & 63)) != 0
                && index >= 2
                && !self.verify(text, index - 2, bucket, &mut found)
            {
                return;
            }
        }
    }

    /// The rare path of [`Self::for_each`], kept out of the hot loop.
    #[inline(never)]
    fn verify(&self, text: &[u8], offset: usize, bucket: u16, found: &mut impl FnMut(usize, u32) -> bool) -> bool {
        let first = self.words.partition_point(|(candidate, _, _)| *candidate < bucket);
        for (_, word, groups) in self.words[first..].iter().take_while(|(candidate, _, _)| *candidate == bucket) {
            if text[offset..].get(..word.len()).is_some_and(|here| here.eq_ignore_ascii_case(word))
                && !found(offset, *groups)
            {
                return false;
            }
        }
        true
    }

    pub(crate) fn first_match(&self, text: &[u8]) -> Option<usize> {
        let mut first = None;
        self.for_each(text, |offset, _| {
            first = Some(offset);
            false
        });
        first
    }

    pub(crate) fn groups(&self, text: &[u8]) -> u32 {
        let mut all = 0;
        self.for_each(text, |_, groups| {
            all |= groups;
            true
        });
        all
    }
}
