//! String similarities over characters: edit distance, longest common substring and
//! subsequence. One side is the question, compared with every candidate phrasing: a
//! question of up to 64 characters becomes a [`Pattern`] — a bit mask of its positions per
//! character — and each comparison runs a character of the phrasing at a time over those
//! masks (Myers' edit distance, Allison–Dix subsequence), O(length) instead of O(n·m).
//! Longer questions fall back to plain dynamic programming, with rows on the stack for
//! texts of up to [`STACK_ROW`] characters.

/// Texts up to this long (the usual question) need no heap for the dynamic programming.
const STACK_ROW: usize = 64;

/// How alike two texts are, character by character.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// 1 − Levenshtein distance / longer length (0 for two empty texts).
    pub edit: f32,
    /// Length of the longest run of characters both texts share.
    pub common_substring: usize,
    /// Length of the longest common subsequence (characters in order, gaps allowed).
    pub common_subsequence: usize,
}

/// A text prepared to be compared with many others.
#[derive(Debug, Clone, Default)]
pub struct Pattern {
    chars: Vec<char>,
    /// Per distinct character (sorted), the positions where it occurs, as bits; empty when
    /// the text is longer than 64 characters.
    masks: Vec<(char, u64)>,
}

impl Pattern {
    /// Prepares `chars`.
    pub fn new(chars: &[char]) -> Pattern {
        let mut masks: Vec<(char, u64)> = Vec::new();
        if chars.len() <= 64 {
            for (position, &c) in chars.iter().enumerate() {
                match masks.iter_mut().find(|(known, _)| *known == c) {
                    Some((_, mask)) => *mask |= 1 << position,
                    None => masks.push((c, 1 << position)),
                }
            }
            masks.sort_unstable_by_key(|&(c, _)| c);
        }
        Pattern { chars: chars.to_vec(), masks }
    }

    fn mask(&self, c: char) -> u64 {
        self.masks.binary_search_by_key(&c, |&(known, _)| known).map_or(0, |at| self.masks[at].1)
    }

    /// Compares the prepared text with `other`.
    // Kept out of line: inlined into the feature code, it made the whole slower.
    #[inline(never)]
    pub fn similarity(&self, other: &[char]) -> Similarity {
        let n = self.chars.len();
        if n > 64 {
            return similarity(&self.chars, other);
        }
        if n == 0 || other.is_empty() {
            // Nothing in common: every character of the longer text is an edit.
            return Similarity { edit: 0.0, common_substring: 0, common_subsequence: 0 };
        }
        let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
        let last = 1u64 << (n - 1);
        // Bits above the pattern's length hold garbage, but carries and shifts only move
        // upwards, so it never reaches the bits that count.
        // Myers: vertical positive/negative deltas of the edit-distance column.
        let (mut positive, mut negative, mut distance) = (all, 0u64, n);
        // Allison–Dix: zero bits of `subsequence` count the common subsequence.
        let mut subsequence = all;
        // Runs of matches along diagonals: per position of the pattern, one past the column
        // of its last match (0: none yet) and the run ending there.
        let mut matched_after = [0usize; 64];
        let mut run = [0u8; 64];
        let mut best_run = 0;
        for (column, &c) in other.iter().enumerate() {
            let equal = self.mask(c);
            let x_vertical = equal | negative;
            let x_horizontal = (((equal & positive).wrapping_add(positive)) ^ positive) | equal;
            let mut horizontal_positive = negative | !(x_horizontal | positive);
            let mut horizontal_negative = positive & x_horizontal;
            if horizontal_positive & last != 0 {
                distance += 1;
            }
            if horizontal_negative & last != 0 {
                distance -= 1;
            }
            horizontal_positive = (horizontal_positive << 1) | 1;
            horizontal_negative <<= 1;
            positive = horizontal_negative | !(x_vertical | horizontal_positive);
            negative = horizontal_positive & x_vertical;

            let matched = subsequence & equal;
            subsequence = subsequence.wrapping_add(matched) | (subsequence - matched);

            // Highest position first, so position - 1 still holds the previous column.
            let mut bits = equal;
            while bits != 0 {
                let position = 63 - bits.leading_zeros() as usize;
                bits &= !(1 << position);
                let length = match position.checked_sub(1) {
                    Some(before) if matched_after[before] == column && column > 0 => run[before] + 1,
                    _ => 1,
                };
                (matched_after[position], run[position]) = (column + 1, length);
                best_run = best_run.max(length);
            }
        }
        let longer = n.max(other.len());
        Similarity {
            edit: 1.0 - distance as f32 / longer as f32,
            common_substring: usize::from(best_run),
            common_subsequence: n - (subsequence & all).count_ones() as usize,
        }
    }
}

/// Compares `a` with `b` by dynamic programming (texts of any length).
pub fn similarity(a: &[char], b: &[char]) -> Similarity {
    let width = b.len() + 1;
    if width <= STACK_ROW + 1 {
        let mut rows = [[0u32; STACK_ROW + 1]; 3];
        let [edit, substring, subsequence] = &mut rows;
        compare(
            a,
            b,
            Rows {
                edit: &mut edit[..width],
                substring: &mut substring[..width],
                subsequence: &mut subsequence[..width],
            },
        )
    } else {
        let (mut edit, mut substring, mut subsequence) = (vec![0; width], vec![0; width], vec![0; width]);
        compare(a, b, Rows { edit: &mut edit, substring: &mut substring, subsequence: &mut subsequence })
    }
}

/// The three rows the dynamic programming keeps per text position, each `b.len() + 1` long.
struct Rows<'a> {
    edit: &'a mut [u32],
    substring: &'a mut [u32],
    subsequence: &'a mut [u32],
}

/// The dynamic programming proper, one row per character of `a`, updated in place: each
/// cell needs the cell above, to the left and diagonally above-left (kept in a variable).
fn compare(a: &[char], b: &[char], rows: Rows<'_>) -> Similarity {
    let Rows { edit, substring, subsequence } = rows;
    for (j, cell) in edit.iter_mut().enumerate() {
        *cell = j as u32;
    }
    substring.fill(0);
    subsequence.fill(0);
    let mut best_run = 0;
    for (i, ca) in a.iter().enumerate() {
        let (mut edit_diagonal, mut run_diagonal, mut sequence_diagonal) = (edit[0], 0, 0);
        edit[0] = i as u32 + 1;
        for (j, cb) in b.iter().enumerate() {
            let same = ca == cb;
            let (edit_above, run_above, sequence_above) = (edit[j + 1], substring[j + 1], subsequence[j + 1]);
            edit[j + 1] = (edit_diagonal + u32::from(!same)).min(edit_above + 1).min(edit[j] + 1);
            substring[j + 1] = if same { run_diagonal + 1 } else { 0 };
            best_run = best_run.max(substring[j + 1]);
            subsequence[j + 1] =
                if same { sequence_diagonal + 1 } else { sequence_above.max(subsequence[j]) };
            (edit_diagonal, run_diagonal, sequence_diagonal) = (edit_above, run_above, sequence_above);
        }
    }
    let longer = a.len().max(b.len());
    Similarity {
        edit: if longer == 0 { 0.0 } else { 1.0 - edit[b.len()] as f32 / longer as f32 },
        common_substring: best_run as usize,
        common_subsequence: subsequence[b.len()] as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    fn of(a: &str, b: &str) -> Similarity {
        let prepared = Pattern::new(&chars(a)).similarity(&chars(b));
        assert_eq!(prepared, similarity(&chars(a), &chars(b)));
        prepared
    }

    #[test]
    fn edit_similarity_is_one_for_equal_text_and_drops_per_edit() {
        assert_eq!(of("退款多久", "退款多久").edit, 1.0);
        assert_eq!(of("退款多久", "退钱多久").edit, 0.75);
        assert_eq!(of("kitten", "sitting").edit, 1.0 - 3.0 / 7.0);
        assert_eq!(of("", "").edit, 0.0);
        assert_eq!(of("", "abc").edit, 0.0);
    }

    #[test]
    fn common_substring_and_subsequence() {
        assert_eq!(of("怎么申请退款", "退款怎么申请").common_substring, 4);
        assert_eq!(of("怎么申请退款", "怎么能申请到退款").common_subsequence, 6);
        assert_eq!(of("abc", "").common_subsequence, 0);
        assert_eq!(of("abcxyz", "xyzabc").common_subsequence, 3);
    }

    /// The textbook full-table versions, to check the one-pass, in-place rows against.
    fn reference(a: &[char], b: &[char]) -> Similarity {
        let (n, m) = (a.len(), b.len());
        let mut edit = vec![vec![0usize; m + 1]; n + 1];
        let mut run = vec![vec![0usize; m + 1]; n + 1];
        let mut sequence = vec![vec![0usize; m + 1]; n + 1];
        let mut best = 0;
        for (i, row) in edit.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in edit[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let same = a[i - 1] == b[j - 1];
                edit[i][j] =
                    (edit[i - 1][j - 1] + usize::from(!same)).min(edit[i - 1][j] + 1).min(edit[i][j - 1] + 1);
                run[i][j] = if same { run[i - 1][j - 1] + 1 } else { 0 };
                best = best.max(run[i][j]);
                sequence[i][j] = if same {
                    sequence[i - 1][j - 1] + 1
                } else {
                    sequence[i - 1][j].max(sequence[i][j - 1])
                };
            }
        }
        let longer = n.max(m);
        Similarity {
            edit: if longer == 0 { 0.0 } else { 1.0 - edit[n][m] as f32 / longer as f32 },
            common_substring: best,
            common_subsequence: sequence[n][m],
        }
    }

    proptest::proptest! {
        #[test]
        fn matches_the_full_tables(a in "[退款多久到账]{0,12}", b in "[退款多久到账]{0,80}") {
            let (a, b) = (chars(&a), chars(&b));
            proptest::prop_assert_eq!(similarity(&a, &b), reference(&a, &b));
            proptest::prop_assert_eq!(similarity(&b, &a), reference(&b, &a));
        }

        #[test]
        fn a_prepared_pattern_matches_the_full_tables(
            a in "[退款多久到账ab]{0,70}",
            b in "[退款多久到账ab]{0,40}",
        ) {
            let (a, b) = (chars(&a), chars(&b));
            proptest::prop_assert_eq!(Pattern::new(&a).similarity(&b), reference(&a, &b));
            proptest::prop_assert_eq!(Pattern::new(&b).similarity(&a), reference(&b, &a));
        }
    }

    #[test]
    fn a_pattern_of_exactly_64_characters_uses_every_bit() {
        let a: Vec<char> = "退款多久到账".chars().cycle().take(64).collect();
        let mut b = a.clone();
        b[63] = '钱';
        b.insert(10, '的');
        assert_eq!(Pattern::new(&a).similarity(&b), reference(&a, &b));
        assert_eq!(Pattern::new(&a).similarity(&a), reference(&a, &a));
    }
}
