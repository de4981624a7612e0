//! String similarities over characters: edit distance, longest common substring and
//! subsequence. Short texts (questions), so plain O(n·m) dynamic programming.

/// 1 − Levenshtein distance / longer length (0 for two empty texts).
pub fn edit_similarity(a: &[char], b: &[char]) -> f32 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 0.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f32 / longer as f32
}

/// Length of the longest run of characters both texts share.
pub fn longest_common_substring(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    let mut current = vec![0usize; b.len() + 1];
    for ca in a {
        for (j, cb) in b.iter().enumerate() {
            current[j + 1] = if ca == cb { previous[j] + 1 } else { 0 };
            best = best.max(current[j + 1]);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    best
}

/// Length of the longest common subsequence (characters in order, gaps allowed).
pub fn longest_common_subsequence(a: &[char], b: &[char]) -> usize {
    let mut previous = vec![0usize; b.len() + 1];
    let mut current = vec![0usize; b.len() + 1];
    for ca in a {
        for (j, cb) in b.iter().enumerate() {
            current[j + 1] = if ca == cb { previous[j] + 1 } else { previous[j + 1].max(current[j]) };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    #[test]
    fn edit_similarity_is_one_for_equal_text_and_drops_per_edit() {
        assert_eq!(edit_similarity(&chars("退款多久"), &chars("退款多久")), 1.0);
        assert_eq!(edit_similarity(&chars("退款多久"), &chars("退钱多久")), 0.75);
        assert_eq!(edit_similarity(&chars(""), &chars("")), 0.0);
    }

    #[test]
    fn common_substring_and_subsequence() {
        assert_eq!(longest_common_substring(&chars("怎么申请退款"), &chars("退款怎么申请")), 4);
        assert_eq!(longest_common_subsequence(&chars("怎么申请退款"), &chars("怎么能申请到退款")), 6);
        assert_eq!(longest_common_subsequence(&chars("abc"), &chars("")), 0);
    }
}
