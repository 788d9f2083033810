use std::process::ExitCode;

fn main() -> ExitCode {
    galeractl::run(std::env::args_os())
}
