import Foundation

/// Runs a program to completion, feeding `input` on stdin; returns its status and output.
func runProcess(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.run()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        stdin.fileHandleForWriting.closeFile()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs the parley binary.
func runParley(_ arguments: [String], input: String? = nil) throws -> (Int32, String) {
    try runProcess(TestServer.binary, arguments, input: input)
}

/// A yescrypt hash made by `parley passwd`, as an operator would make one.
func parleyPasswordHash(_ password: String) throws -> String {
    let (status, output) = try runParley(["passwd"], input: password + "\n")
    let hash = output.split(separator: "\n").last.map(String.init) ?? ""
    guard status == 0, hash.hasPrefix("$y$") else { throw TestFailure("parley passwd failed: \(output)") }
    return hash
}

/// An [[operator]] section named admin with password s3cret.
func operatorSection() throws -> String {
    "[[operator]]\nname = \"admin\"\npassword_hash = \"\(try parleyPasswordHash("s3cret"))\"\n"
}
