//! `init` on a terminal without `--cluster` or `--host`: the questions for what the flags did
//! not say, in order, each with the default an empty answer takes, and what each answer means.
//! Pure: the caller asks each [`Question`] (`terminal::ask`) and hands the line back.

/// What the flags already said: `init` asks only for the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
// The flags given or not, each named at the call.
#[allow(clippy::struct_excessive_bools)]
pub struct Given {
    pub cluster: bool,
    pub hosts: bool,
    /// `--ssh-user`: whether sudo is asked about depends on it.
    pub ssh_user: Option<String>,
    pub sudo: bool,
    pub haproxy_host: bool,
}

/// What the operator answered, for the flags not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    pub cluster: Option<String>,
    pub hosts: Vec<String>,
    pub ssh_user: Option<String>,
    pub sudo: bool,
    pub haproxy_host: Option<String>,
}

/// One question: what it asks, and the default an empty answer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub text: &'static str,
    pub default: Option<&'static str>,
}

impl Question {
    /// The prompt shown on the terminal.
    pub fn prompt(&self) -> String {
        crate::terminal::prompt(self.text, self.default)
    }
}

/// The questions, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Topic {
    Cluster,
    Hosts,
    SshUser,
    Sudo,
    Haproxy,
}

const TOPICS: [Topic; 5] = [
    Topic::Cluster,
    Topic::Hosts,
    Topic::SshUser,
    Topic::Sudo,
    Topic::Haproxy,
];

impl Topic {
    fn question(self) -> Question {
        let (text, default) = match self {
            Topic::Cluster => ("Cluster name", Some("galera")),
            Topic::Hosts => (
                "The nodes' hosts, in order (the first bootstraps), separated by spaces or commas",
                None,
            ),
            Topic::SshUser => ("SSH login user on the hosts", Some("root")),
            Topic::Sudo => (
                "That user is not root: run every command on the hosts through sudo -n? [y/n]",
                Some("y"),
            ),
            Topic::Haproxy => (
                "HAProxy's host in front of the nodes (empty: no proxy)",
                Some(""),
            ),
        };
        Question { text, default }
    }
}

/// The questions for what `given` does not say, asked one at a time:
/// [`Interview::next_question`], then [`Interview::answer`] with the line read, until there is
/// no next question.
#[derive(Debug, Clone)]
pub struct Interview {
    given: Given,
    answers: Answers,
    /// The question asked last, waiting for its answer.
    asking: Option<Topic>,
    /// The topics considered so far (a prefix of [`TOPICS`]).
    considered: usize,
}

impl Interview {
    pub fn new(given: Given) -> Interview {
        Interview {
            given,
            answers: Answers::default(),
            asking: None,
            considered: 0,
        }
    }

    /// The next question to ask, or `None` when every answer is in.
    pub fn next_question(&mut self) -> Option<Question> {
        while let Some(&topic) = TOPICS.get(self.considered) {
            self.considered += 1;
            if self.needs(topic) {
                self.asking = Some(topic);
                return Some(topic.question());
            }
        }
        None
    }

    /// Whether `topic` is asked, given the flags and the answers so far.
    fn needs(&self, topic: Topic) -> bool {
        let g = &self.given;
        match topic {
            Topic::Cluster => !g.cluster,
            Topic::Hosts => !g.hosts,
            Topic::SshUser => g.ssh_user.is_none(),
            Topic::Sudo => {
                let user = g.ssh_user.as_deref().or(self.answers.ssh_user.as_deref());
                !g.sudo && user.is_some_and(|u| u != "root")
            }
            Topic::Haproxy => !g.haproxy_host,
        }
    }

    /// The answer (the line read) to the question [`Interview::next_question`] returned last:
    /// trimmed, an empty one taking the question's default.
    pub fn answer(&mut self, line: &str) {
        let Some(topic) = self.asking.take() else {
            return;
        };
        let text = crate::terminal::answer(line, topic.question().default);
        let a = &mut self.answers;
        match topic {
            Topic::Cluster => a.cluster = Some(text),
            Topic::Hosts => a.hosts = super::split_hosts(&text),
            Topic::SshUser => a.ssh_user = Some(text),
            Topic::Sudo => a.sudo = crate::terminal::is_yes(&text),
            Topic::Haproxy => a.haproxy_host = (!text.is_empty()).then_some(text),
        }
    }

    /// What was answered.
    pub fn answers(self) -> Answers {
        self.answers
    }
}

/// The banner before the first question.
pub const INTERVIEW_BANNER: &str =
    "galeractl init: a new inventory (empty answers take the [default]; Ctrl-D stops)";

#[cfg(test)]
mod tests {
    use super::*;

    /// The prompts asked, and the answers, for `given` and the lines typed.
    fn run(given: Given, lines: &[&str]) -> (Vec<String>, Answers) {
        let mut interview = Interview::new(given);
        let mut lines = lines.iter();
        let mut prompts = Vec::new();
        while let Some(q) = interview.next_question() {
            prompts.push(q.prompt());
            interview.answer(lines.next().copied().unwrap_or_default());
        }
        (prompts, interview.answers())
    }

    #[test]
    fn with_no_flag_every_question_and_the_defaults() {
        let (prompts, answers) = run(Given::default(), &["\n", "db1, db2 db3\n", "\n", "\n"]);
        assert_eq!(
            prompts,
            [
                "Cluster name [galera]: ",
                "The nodes' hosts, in order (the first bootstraps), separated by spaces or commas: ",
                "SSH login user on the hosts [root]: ",
                "HAProxy's host in front of the nodes (empty: no proxy): ",
            ]
        );
        assert_eq!(
            answers,
            Answers {
                cluster: Some("galera".into()),
                hosts: vec!["db1".into(), "db2".into(), "db3".into()],
                ssh_user: Some("root".into()),
                sudo: false,
                haproxy_host: None,
            }
        );
    }

    #[test]
    fn a_user_that_is_not_root_is_asked_about_sudo() {
        let (prompts, answers) = run(
            Given::default(),
            &[" prod \n", "h1\n", "deploy\n", "\n", "lb1\n"],
        );
        assert_eq!(
            prompts[3],
            "That user is not root: run every command on the hosts through sudo -n? [y/n] [y]: "
        );
        assert_eq!(
            answers,
            Answers {
                cluster: Some("prod".into()),
                hosts: vec!["h1".into()],
                ssh_user: Some("deploy".into()),
                sudo: true,
                haproxy_host: Some("lb1".into()),
            }
        );
        let (_, answers) = run(Given::default(), &["c\n", "h1\n", "deploy\n", "n\n", "\n"]);
        assert!(!answers.sudo);
    }

    #[test]
    fn only_what_the_flags_did_not_say_is_asked() {
        let given = Given {
            cluster: true,
            hosts: false,
            ssh_user: Some("deploy".into()),
            sudo: false,
            haproxy_host: true,
        };
        let (prompts, answers) = run(given, &["h1 h2\n", "yes\n"]);
        assert_eq!(
            prompts,
            [
                "The nodes' hosts, in order (the first bootstraps), separated by spaces or commas: ",
                "That user is not root: run every command on the hosts through sudo -n? [y/n] [y]: ",
            ]
        );
        assert_eq!(answers.hosts, ["h1", "h2"]);
        assert!(answers.sudo);
        assert_eq!(answers.cluster, None);
        let given = Given {
            ssh_user: Some("deploy".into()),
            sudo: true,
            ..Given::default()
        };
        let (prompts, _) = run(given, &[]);
        assert_eq!(prompts.len(), 3, "{prompts:?}");
    }

    #[test]
    fn an_answer_without_a_question_is_ignored() {
        let mut interview = Interview::new(Given::default());
        interview.answer("stray\n");
        assert_eq!(interview.answers(), Answers::default());
    }
}
