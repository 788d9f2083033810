//! The cluster's certificates on this machine: a CA (unless the operator brings one) and a
//! certificate per member naming its address, made when missing, when the address changed or
//! when they end within [`RENEW_DAYS`](super::RENEW_DAYS). The CA key never leaves this
//! machine; keys are written 0600.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use super::{local_cert, local_key, members, RENEW_DAYS};
use crate::inventory::Inventory;

/// How long a generated CA lasts.
const CA_DAYS: i64 = 3650;
/// How long a member's certificate lasts.
const MEMBER_DAYS: i64 = 730;

#[derive(Debug, thiserror::Error)]
#[error("{}: {detail}", .path.display())]
pub struct CertError {
    pub path: PathBuf,
    pub detail: String,
}

fn err(path: &Path, detail: impl std::fmt::Display) -> CertError {
    CertError {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// What [`ensure`] found or would do for each file: `made` (or would make), `kept`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub made: Vec<String>,
    pub kept: Vec<String>,
}

/// Makes the CA (when galeractl owns it and it is missing) and every member certificate that
/// is missing, names another address, or ends within [`RENEW_DAYS`]. With `write` false,
/// only says what it would make. With `running` (nodes of the cluster run with TLS), a new CA, or
/// certificates to be signed by another CA than the one they have, is refused before anything
/// is written: the running nodes trust only their CA, and a renewal would not change that.
pub fn ensure(
    inventory: &Inventory,
    now: OffsetDateTime,
    write: bool,
    running: bool,
) -> Result<Outcome, CertError> {
    let Some(tls) = &inventory.tls else {
        return Ok(Outcome {
            made: Vec::new(),
            kept: Vec::new(),
        });
    };
    let mut out = Outcome {
        made: Vec::new(),
        kept: Vec::new(),
    };
    if write && !tls.dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&tls.dir)
            .map_err(|e| err(&tls.dir, e))?;
    }
    let ca_missing = !tls.ca_cert.exists() || !tls.ca_key.exists();
    if ca_missing && !tls.own_ca && (tls.ca_cert.exists() || tls.ca_key.exists()) {
        let (here, gone) = if tls.ca_cert.exists() {
            (&tls.ca_cert, &tls.ca_key)
        } else {
            (&tls.ca_key, &tls.ca_cert)
        };
        return Err(err(
            gone,
            format!("missing beside {}: galeractl does not replace half of a CA that the cluster may trust; put it back, or remove both to make a new CA (a running cluster cannot switch CA: see docs/src/tls.md)", here.display()),
        ));
    }
    if ca_missing && running {
        return Err(err(
            &tls.ca_cert,
            "no CA here, while nodes of the cluster run: a new CA would not be trusted by them (a running cluster cannot switch CA: back it up and restore it with the new one, as docs/src/tls.md says); nothing was made",
        ));
    }
    if ca_missing && tls.own_ca {
        return Err(err(
            if tls.ca_cert.exists() { &tls.ca_key } else { &tls.ca_cert },
            "the CA file named by [tls] does not exist (ca_cert and ca_key are your own CA; leave both out for galeractl to make one)",
        ));
    }
    let mut fresh_ca = false;
    let ca = if ca_missing {
        fresh_ca = true;
        out.made.push(tls.ca_cert.display().to_string());
        if write {
            let (cert_pem, key_pem) =
                make_ca(&inventory.cluster.name, now).map_err(|e| err(&tls.ca_cert, e))?;
            write_file(&tls.ca_key, key_pem.as_bytes(), 0o600)?;
            write_file(&tls.ca_cert, cert_pem.as_bytes(), 0o644)?;
            Some((cert_pem, key_pem))
        } else {
            None
        }
    } else {
        out.kept.push(tls.ca_cert.display().to_string());
        let cert = read(&tls.ca_cert)?;
        let key = read(&tls.ca_key)?;
        Some((cert, key))
    };
    let issuer = match &ca {
        Some((cert, key)) => {
            let key_pair = KeyPair::from_pem(key).map_err(|e| err(&tls.ca_key, e))?;
            Some(Issuer::from_ca_cert_pem(cert, key_pair).map_err(|e| err(&tls.ca_cert, e))?)
        }
        None => None,
    };
    for (member, names) in members(inventory) {
        let cert_path = local_cert(tls, &member);
        let key_path = local_key(tls, &member);
        let cert_pem = std::fs::read(&cert_path).ok();
        let current = !fresh_ca
            && key_path.exists()
            && cert_pem.as_deref().and_then(read_cert).is_some_and(|(end, has)| {
                end > now + Duration::days(RENEW_DAYS) && names.iter().all(|n| has.contains(n))
            })
            // Signed by the CA in use (an operator's CA may have been replaced).
            && match (&ca, &cert_pem) {
                (Some((ca_pem, _)), Some(pem)) => signed_by(pem, ca_pem.as_bytes()),
                _ => true,
            };
        let other_ca = match (&ca, &cert_pem) {
            (Some((ca_pem, _)), Some(pem)) => !signed_by(pem, ca_pem.as_bytes()),
            _ => false,
        };
        if other_ca && running {
            return Err(err(
                &cert_path,
                "signed by another CA than the one in use, while nodes of the cluster run: they trust only their CA (a running cluster cannot switch CA: back it up and restore it with the new one, as docs/src/tls.md says); nothing was made",
            ));
        }
        if current {
            out.kept.push(cert_path.display().to_string());
        } else {
            out.made.push(cert_path.display().to_string());
            let Some(issuer) = &issuer else { continue };
            if !write {
                continue;
            }
            let (cert_pem, key_pem) =
                make_member(&names, issuer, now).map_err(|e| err(&cert_path, e))?;
            write_file(&key_path, key_pem.as_bytes(), 0o600)?;
            write_file(&cert_path, cert_pem.as_bytes(), 0o644)?;
        }
        if member == super::PROXY && write {
            // HAProxy reads its certificate and key from one file.
            let both = format!("{}{}", read(&cert_path)?, read(&key_path)?);
            let pem = super::local_proxy_pem(tls);
            if std::fs::read_to_string(&pem).ok().as_deref() != Some(both.as_str()) {
                write_file(&pem, both.as_bytes(), 0o600)?;
            }
        }
    }
    Ok(out)
}

/// When a certificate file on this machine ends (`None`: no readable certificate there).
pub fn not_after(path: &Path) -> Option<OffsetDateTime> {
    read_cert(&std::fs::read(path).ok()?).map(|(end, _)| end)
}

/// A PEM certificate's end and the addresses it names (IP addresses and DNS names).
pub fn read_cert(pem: &[u8]) -> Option<(OffsetDateTime, Vec<String>)> {
    use x509_parser::extensions::GeneralName;
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    let cert = pem.parse_x509().ok()?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => names.push(d.to_string()),
                GeneralName::IPAddress(b) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                        names.push(std::net::Ipv4Addr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                        names.push(std::net::Ipv6Addr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    Some((cert.validity().not_after.to_datetime(), names))
}

/// Whether the PEM certificate `cert` carries a valid signature of the CA certificate `ca`.
pub fn signed_by(cert: &[u8], ca: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, ca))) = (
        x509_parser::pem::parse_x509_pem(cert),
        x509_parser::pem::parse_x509_pem(ca),
    ) else {
        return false;
    };
    let (Ok(cert), Ok(ca)) = (cert.parse_x509(), ca.parse_x509()) else {
        return false;
    };
    cert.verify_signature(Some(ca.public_key())).is_ok()
}

/// Whether a server's `Ssl_server_not_after` (`Nov 25 20:05:22 2028 GMT`, OpenSSL's form) is
/// `end`: the server presents the certificate that ends then.
pub fn same_end(served: &str, end: OffsetDateTime) -> bool {
    let end = end.to_offset(time::UtcOffset::UTC);
    let words: Vec<&str> = served.split_whitespace().collect();
    let month = end.month().to_string();
    let want = [
        month.get(..3).unwrap_or(&month).to_string(),
        end.day().to_string(),
        format!("{:02}:{:02}:{:02}", end.hour(), end.minute(), end.second()),
        end.year().to_string(),
        "GMT".to_string(),
    ];
    words.len() == want.len() && words.iter().zip(&want).all(|(a, b)| a == b)
}

/// The subject alternative name of an address: an IP address, or a DNS name.
fn san(host: &str) -> Result<SanType, rcgen::Error> {
    Ok(match host.parse::<std::net::IpAddr>() {
        Ok(ip) => SanType::IpAddress(ip),
        Err(_) => SanType::DnsName(host.to_string().try_into()?),
    })
}

fn make_ca(cluster: &str, now: OffsetDateTime) -> Result<(String, String), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        format!("galeractl CA of cluster {cluster}"),
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(CA_DAYS);
    let cert = p.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn make_member(
    names: &[String],
    issuer: &Issuer<'_, KeyPair>,
    now: OffsetDateTime,
) -> Result<(String, String), rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    // The address, not the member's name: the SST donor checks the joiner's certificate's
    // common name against the joiner's address.
    dn.push(DnType::CommonName, names.first().map_or("", String::as_str));
    p.distinguished_name = dn;
    p.subject_alt_names = names.iter().map(|n| san(n)).collect::<Result<_, _>>()?;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    // Each member is a server and a client: Galera and SST connect both ways.
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    p.not_before = now - Duration::hours(1);
    p.not_after = now + Duration::days(MEMBER_DAYS);
    let cert = p.signed_by(&key, issuer)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn read(path: &Path) -> Result<String, CertError> {
    std::fs::read_to_string(path).map_err(|e| err(path, e))
}

/// Writes a new file beside `path` with `mode`, then renames it over `path`.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CertError> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| err(&tmp, e))?;
    f.sync_all().map_err(|e| err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_served_end_is_compared_in_openssls_form() {
        let end = time::macros::datetime!(2028-11-25 20:05:22 UTC);
        assert!(same_end("Nov 25 20:05:22 2028 GMT", end));
        assert!(!same_end("Nov 25 19:49:21 2028 GMT", end));
        let early = time::macros::datetime!(2028-03-05 07:04:09 UTC);
        assert!(same_end("Mar  5 07:04:09 2028 GMT", early));
        assert!(!same_end("", early));
    }

    #[test]
    fn a_member_certificate_names_its_addresses_and_ends_when_planned() {
        let now = time::macros::datetime!(2026-11-26 20:00:00 UTC);
        let (ca_pem, ca_key) = make_ca("t", now).unwrap_or_else(|e| panic!("{e}"));
        let key = KeyPair::from_pem(&ca_key).unwrap_or_else(|e| panic!("{e}"));
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key).unwrap_or_else(|e| panic!("{e}"));
        let names = vec!["10.0.0.1".to_string(), "proxy.example".to_string()];
        let (pem, _) = make_member(&names, &issuer, now).unwrap_or_else(|e| panic!("{e}"));
        let (end, has) = read_cert(pem.as_bytes()).unwrap_or_else(|| panic!("unreadable"));
        assert_eq!(has, names);
        assert_eq!(end, now + Duration::days(MEMBER_DAYS));
        assert!(signed_by(pem.as_bytes(), ca_pem.as_bytes()));
        let (other_ca, _) = make_ca("t", now).unwrap_or_else(|e| panic!("{e}"));
        assert!(!signed_by(pem.as_bytes(), other_ca.as_bytes()));
    }
}
