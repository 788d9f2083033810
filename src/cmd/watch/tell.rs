//! Telling people of watch's events through `notify::send::Notifier` (the log line, the
//! webhook, the notify command): each event stamped with the time it is sent.

use std::path::Path;

use crate::cmd::Failure;
use crate::exit;
use crate::notify::send;
use crate::watch::Event;

pub struct Notifier(send::Notifier);

impl Notifier {
    pub fn new(webhook_file: Option<&Path>, command: Option<String>) -> Result<Notifier, Failure> {
        let webhook = webhook_file
            .map(send::read_webhook)
            .transpose()
            .map_err(|why| Failure::new(exit::USAGE, why))?;
        Ok(Notifier(send::Notifier::new(webhook, command)))
    }

    /// A line of watch's own log (not an event).
    pub fn log(&self, line: &str) {
        self.0.log(line);
    }

    pub async fn send(&self, event: &Event) {
        let mut event = event.clone();
        event.unix_time = crate::lock::now_unix();
        match event.note(self.0.journald()) {
            Ok(note) => self.0.send(&note).await,
            Err(e) => {
                errln!("{}", event.log_line(self.0.journald()));
                errln!("watch: cannot encode the event: {e}");
            }
        }
    }
}
