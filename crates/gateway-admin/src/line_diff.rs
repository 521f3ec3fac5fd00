//! A line diff (longest common subsequence), for reviewing a changed definition.

/// One line of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

impl Line<'_> {
    fn is_change(self) -> bool {
        !matches!(self, Self::Same(_))
    }
}

/// The lines of `old` and `new`, each kept, removed or added, with as many kept as possible.
pub fn diff<'a>(old: &'a str, new: &'a str) -> Vec<Line<'a>> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    // The table is quadratic: leave the common head and tail (most of a changed definition)
    // out of it.
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut lines: Vec<Line> = old[..head].iter().map(|line| Line::Same(line)).collect();
    lines.extend(middle(
        &old[head..old.len() - tail],
        &new[head..new.len() - tail],
    ));
    lines.extend(old[old.len() - tail..].iter().map(|line| Line::Same(line)));
    lines
}

fn middle<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Line<'a>> {
    // common[i][j]: the length of the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut lines = Vec::new();
    while i < old.len() && j < new.len() {
        if old[i] == new[j] {
            lines.push(Line::Same(old[i]));
            (i, j) = (i + 1, j + 1);
        } else if common[i + 1][j] >= common[i][j + 1] {
            lines.push(Line::Removed(old[i]));
            i += 1;
        } else {
            lines.push(Line::Added(new[j]));
            j += 1;
        }
    }
    lines.extend(old[i..].iter().map(|line| Line::Removed(line)));
    lines.extend(new[j..].iter().map(|line| Line::Added(line)));
    lines
}

/// `lines` as text, each prefixed `- `, `+ ` or `  `; of the kept lines only those within
/// `context` lines of a change are shown, each run left out as one `  …` line.
pub fn render(lines: &[Line], context: usize) -> String {
    let shown: Vec<bool> = (0..lines.len())
        .map(|at| {
            let from = at.saturating_sub(context);
            let to = (at + context + 1).min(lines.len());
            lines[from..to].iter().any(|line| line.is_change())
        })
        .collect();
    let mut text = String::new();
    for (at, line) in lines.iter().enumerate() {
        if !shown[at] {
            if at == 0 || shown[at - 1] {
                text.push_str("  …\n");
            }
            continue;
        }
        let (marker, line) = match line {
            Line::Same(line) => ("  ", line),
            Line::Removed(line) => ("- ", line),
            Line::Added(line) => ("+ ", line),
        };
        text.push_str(marker);
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_removed_and_added_between_kept_ones() {
        assert_eq!(
            diff("a\nb\nc\n", "a\nB\nc\nd\n"),
            [
                Line::Same("a"),
                Line::Removed("b"),
                Line::Added("B"),
                Line::Same("c"),
                Line::Added("d"),
            ]
        );
        assert_eq!(diff("", "x\ny"), [Line::Added("x"), Line::Added("y")]);
        assert_eq!(diff("x", ""), [Line::Removed("x")]);
        assert_eq!(diff("x\ny", "x\ny"), [Line::Same("x"), Line::Same("y")]);
    }

    #[test]
    fn the_longest_common_subsequence_is_kept() {
        let lines = diff("a\nb\nc\nd\ne", "b\nx\nd\ne\nf");
        let kept: Vec<&str> = lines
            .iter()
            .filter_map(|line| match line {
                Line::Same(line) => Some(*line),
                _ => None,
            })
            .collect();
        assert_eq!(kept, ["b", "d", "e"]);
        assert_eq!(lines.iter().filter(|line| line.is_change()).count(), 4);
    }

    #[test]
    fn only_lines_near_a_change_are_rendered() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            render(&diff(old, new), 1),
            "  …\n  4\n- 5\n+ five\n  6\n  …\n"
        );
        assert_eq!(render(&diff(old, new), 9).lines().count(), 10);
        assert_eq!(render(&diff("", "a\nb"), 3), "+ a\n+ b\n");
    }
}
