//! The MariaDB version in an image: `mariadbd --version` in a one-off container without
//! network, on a host or on this machine.

use std::time::Duration;

use crate::ssh::Remote;

/// The MariaDB version in `image`, read on a host that has it (`mariadbd --version` in a
/// one-off container without network), or `None`.
pub async fn image_version(remote: &Remote, image: &str) -> Option<String> {
    let argv = crate::docker::read::mariadbd_version(image);
    let out = remote
        .run(&argv, None, remote.command_timeout())
        .await
        .ok()?;
    parse_mariadbd_version(&out.stdout)
}

/// [`image_version`] on this machine's docker (the image `up` would copy to the hosts).
pub async fn local_image_version(image: &str) -> Option<String> {
    let argv = crate::docker::read::mariadbd_version(image);
    let run = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .ok()?
        .ok()?;
    parse_mariadbd_version(&String::from_utf8_lossy(&out.stdout))
}

/// The version in `mariadbd --version`'s line (`mariadbd  Ver 11.8.3-MariaDB-... for ...`).
pub fn parse_mariadbd_version(text: &str) -> Option<String> {
    let at = text.find(" Ver ")?;
    text[at + 5..].split_whitespace().next().map(str::to_string)
}

/// Whether this machine's docker has `image` (`docker image inspect`), for `up` to copy it.
pub async fn local_image_present(image: &str) -> bool {
    let argv = crate::docker::read::image_inspect(image);
    let run = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    run.await.is_ok_and(|o| o.status.success())
}

#[cfg(test)]
mod version_tests {
    #[test]
    fn mariadbd_version_line() {
        assert_eq!(
            super::parse_mariadbd_version(
                "mariadbd  Ver 11.8.3-MariaDB-0+deb13u1 from Debian for debian-linux-gnu on x86_64 (Debian n/a)\n"
            )
            .as_deref(),
            Some("11.8.3-MariaDB-0+deb13u1")
        );
        assert_eq!(super::parse_mariadbd_version("garbage"), None);
    }
}
