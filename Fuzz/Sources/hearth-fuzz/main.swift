// `hearth-fuzz TARGET [libFuzzer flags] [corpus directories]`: runs one fuzz target under
// libFuzzer; `hearth-fuzz list` names them. The target is taken off the arguments before
// libFuzzer reads the rest.
import Glibc
import HearthFuzzTargets

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: hearth-fuzz TARGET [libFuzzer flags] [corpus directories]  |  hearth-fuzz list  |  hearth-fuzz seed DIR")
    exit(2)
}
if arguments[1] == "list" {
    for t in FuzzTargets.all { print("\(t.name)\t\(t.summary)") }
    exit(0)
}
if arguments[1] == "seed", arguments.count == 3 {
    // Writes each target's generated seeds to DIR/<target>/seed-N.
    mkdir(arguments[2], 0o755)
    for t in FuzzTargets.all {
        let dir = arguments[2] + "/" + t.name
        mkdir(dir, 0o755)
        for (i, seed) in FuzzSeeds.seeds(for: t.name).enumerated() {
            let fd = open(dir + "/seed-\(i)", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = seed.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
    }
    exit(0)
}
guard let target = FuzzTargets.named(arguments[1]) else {
    print("unknown fuzz target \(arguments[1]); `hearth-fuzz list` names them")
    exit(2)
}
nonisolated(unsafe) var selected: FuzzTarget = target

// argv without the target name.
var argv: [UnsafeMutablePointer<CChar>?] = [strdup(arguments[0])] + arguments.dropFirst(2).map { strdup($0) } + [nil]
var argc = CInt(argv.count - 1)
let status = argv.withUnsafeMutableBufferPointer { buffer in
    var base = buffer.baseAddress!
    return runDriver(&argc, &base) { data, size in
        selected.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
exit(status)
