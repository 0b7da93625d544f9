fn main() -> std::process::ExitCode {
    doorwatch::cli::main()
}
