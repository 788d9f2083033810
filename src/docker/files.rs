//! Files and directories on the hosts: the cluster's directories, a file written from stdin
//! (new with a mode, or in place), a mode, and an owner read from an image. Pure builders; the
//! paths come from the inventory's layout (and `tls`), the content comes on stdin.

use crate::argv::{words, Argv};
use crate::inventory::Inventory;

/// Makes the cluster's directory and its secrets directory (0700).
pub fn make_dirs(inventory: &Inventory) -> Argv {
    let mut a = words(&["install", "-d", "-m", "0700"]);
    a.push(inventory.cluster_dir());
    a.push(inventory.secrets_dir());
    a
}

/// Writes stdin to a new 0600 file (for secrets).
pub fn write_secret(path: &str) -> Argv {
    write_file(path, "0600")
}

/// Writes stdin to a new file of the given mode (replacing any old one).
pub fn write_file(path: &str, mode: &str) -> Argv {
    let mut a = words(&["install", "-m", mode, "/dev/stdin"]);
    a.push(path.to_string());
    a
}

/// Writes stdin into `path` in place: a file bind-mounted into a container keeps its inode, so
/// the container sees the new content. A new file gets the pipe's mode (0600): see
/// [`readable_by_server`].
pub fn write_in_place(path: &str) -> Argv {
    let mut a = words(&["cp", "/dev/stdin"]);
    a.push(path.to_string());
    a
}

/// Makes a file that holds no secret readable by the server, which the official image runs as
/// its `mysql` user: MariaDB silently skips an option file it cannot read.
pub fn readable_by_server(path: &str) -> Argv {
    let mut a = words(&["chmod", "0644"]);
    a.push(path.to_string());
    a
}

/// Gives `paths` to the image's `mysql` user and group, their ids read from the image itself
/// (the official image and the lab's use 999; another image may not).
pub fn own_by_server_user(image: &str, paths: &[String]) -> Argv {
    let mut a = words(&[
        "sh",
        "-c",
        "set -e; image_id() { docker run --rm --network none --entrypoint id \"$1\" \"$2\" mysql; }; \
owner=\"$(image_id \"$1\" -u):$(image_id \"$1\" -g)\"; shift; chown \"$owner\" \"$@\"",
        "galeractl-chown",
    ]);
    a.push(image.to_string());
    a.extend(paths.iter().cloned());
    a
}

/// Gives `paths` to the user an image runs as by default (garbd's image: not root), its ids
/// read from the image itself.
pub fn own_by_image_default_user(image: &str, paths: &[String]) -> Argv {
    let mut a = words(&[
        "sh",
        "-c",
        "set -e; image_id() { docker run --rm --network none --entrypoint id \"$1\" \"$2\"; }; \
owner=\"$(image_id \"$1\" -u):$(image_id \"$1\" -g)\"; shift; chown \"$owner\" \"$@\"",
        "galeractl-chown",
    ]);
    a.push(image.to_string());
    a.extend(paths.iter().cloned());
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argv::shell_join;

    #[test]
    fn file_commands_are_exact() {
        let inventory = super::super::fixture::inventory("");
        assert_eq!(
            make_dirs(&inventory),
            [
                "install",
                "-d",
                "-m",
                "0700",
                "/etc/galeractl/c",
                "/etc/galeractl/c/secrets"
            ]
        );
        assert_eq!(
            write_secret("/s/x"),
            ["install", "-m", "0600", "/dev/stdin", "/s/x"]
        );
        assert_eq!(
            write_file("/s/y", "0644"),
            ["install", "-m", "0644", "/dev/stdin", "/s/y"]
        );
        assert_eq!(write_in_place("/s/z"), ["cp", "/dev/stdin", "/s/z"]);
        assert_eq!(readable_by_server("/s/z"), ["chmod", "0644", "/s/z"]);
    }

    #[test]
    fn owners_are_read_from_the_image() {
        let paths = ["/a".to_string(), "/b c".to_string()];
        assert_eq!(
            shell_join(&own_by_server_user("i:1", &paths)),
            "sh -c 'set -e; image_id() { docker run --rm --network none --entrypoint id \"$1\" \"$2\" mysql; }; owner=\"$(image_id \"$1\" -u):$(image_id \"$1\" -g)\"; shift; chown \"$owner\" \"$@\"' galeractl-chown i:1 /a '/b c'"
        );
        assert_eq!(
            shell_join(&own_by_image_default_user("g:1", &paths[..1])),
            "sh -c 'set -e; image_id() { docker run --rm --network none --entrypoint id \"$1\" \"$2\"; }; owner=\"$(image_id \"$1\" -u):$(image_id \"$1\" -g)\"; shift; chown \"$owner\" \"$@\"' galeractl-chown g:1 /a"
        );
    }
}
