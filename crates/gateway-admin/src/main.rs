fn main() -> std::process::ExitCode {
    gateway_admin::main()
}
