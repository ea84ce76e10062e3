import Foundation

/// Runs a program to completion; returns its exit status and its stdout and stderr together.
public func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether a Debian peer binary is installed.
public func peerInstalled(_ path: String) -> Bool {
    FileManager.default.isExecutableFile(atPath: path)
}
