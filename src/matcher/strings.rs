//! String similarities over characters: edit distance, longest common substring and
//! subsequence. Short texts (questions), so plain O(n·m) dynamic programming — the three in
//! one pass over the grid, with rows on the stack for texts of up to [`STACK_ROW`] characters.

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

/// The three rows the dynamic programming keeps per text position, each `b.len() + 1` long.
struct Rows<'a> {
    edit: &'a mut [u32],
    substring: &'a mut [u32],
    subsequence: &'a mut [u32],
}

/// Compares `a` with `b`.
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
        similarity(&chars(a), &chars(b))
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
    }
}
