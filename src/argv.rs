//! A command as an argv, and the few pure helpers every builder and edge shares: making one
//! from words, quoting it for a shell (display, and the one shell line SSH sends), and hashing
//! it into a spec label. Imports nothing of the crate.

/// A command, word by word: never a shell string.
pub type Argv = Vec<String>;

/// An argv from literal words.
pub fn words(w: &[&str]) -> Argv {
    w.iter().map(std::string::ToString::to_string).collect()
}

/// Quotes one word for a POSIX shell, only when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The words quoted and joined by spaces: one line a POSIX shell splits back into `argv`.
pub fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// FNV-1a, 64 bits, over the words separated by NUL: stable across builds and platforms,
/// which std's hasher does not promise.
pub fn spec_hash(words: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_keeps_plain_words_and_survives_hostile_ones() {
        assert_eq!(shell_quote("--wsrep-on=ON"), "--wsrep-on=ON");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a;b"), "'a;b'");
        assert_eq!(shell_quote("nodea; rm -rf /"), "'nodea; rm -rf /'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn spec_hash_is_stable_and_order_sensitive() {
        let a = vec!["a".to_string(), "b".to_string()];
        let b = vec!["b".to_string(), "a".to_string()];
        // Pinned: a change here would make every running container look stale.
        assert_eq!(spec_hash(&a), "ab40d7820d408076");
        assert_ne!(spec_hash(&a), spec_hash(&b));
        assert_ne!(spec_hash(&["ab".to_string()]), spec_hash(&a));
    }

    #[test]
    fn words_keep_their_order() {
        assert_eq!(words(&["docker", "ps"]), vec!["docker", "ps"]);
    }
}
