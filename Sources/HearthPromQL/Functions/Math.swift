#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The C library's math functions, which agree with Go's `math` package on the special cases
/// PromQL's tests exercise (NaN, infinities, signed zeros).
enum Math {
    static func exp(_ x: Double) -> Double { c_exp(x) }
    static func log(_ x: Double) -> Double { c_log(x) }
    static func log2(_ x: Double) -> Double { c_log2(x) }
    static func log10(_ x: Double) -> Double { c_log10(x) }
    static func sin(_ x: Double) -> Double { c_sin(x) }
    static func cos(_ x: Double) -> Double { c_cos(x) }
    static func tan(_ x: Double) -> Double { c_tan(x) }
    static func asin(_ x: Double) -> Double { c_asin(x) }
    static func acos(_ x: Double) -> Double { c_acos(x) }
    static func atan(_ x: Double) -> Double { c_atan(x) }
    static func sinh(_ x: Double) -> Double { c_sinh(x) }
    static func cosh(_ x: Double) -> Double { c_cosh(x) }
    static func tanh(_ x: Double) -> Double { c_tanh(x) }
    static func asinh(_ x: Double) -> Double { c_asinh(x) }
    static func acosh(_ x: Double) -> Double { c_acosh(x) }
    static func atanh(_ x: Double) -> Double { c_atanh(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { c_pow(x, y) }
    static func fmod(_ x: Double, _ y: Double) -> Double { c_fmod(x, y) }
    static func atan2(_ y: Double, _ x: Double) -> Double { c_atan2(y, x) }
}

private func c_exp(_ x: Double) -> Double { exp(x) }
private func c_log(_ x: Double) -> Double { log(x) }
private func c_log2(_ x: Double) -> Double { log2(x) }
private func c_log10(_ x: Double) -> Double { log10(x) }
private func c_sin(_ x: Double) -> Double { sin(x) }
private func c_cos(_ x: Double) -> Double { cos(x) }
private func c_tan(_ x: Double) -> Double { tan(x) }
private func c_asin(_ x: Double) -> Double { asin(x) }
private func c_acos(_ x: Double) -> Double { acos(x) }
private func c_atan(_ x: Double) -> Double { atan(x) }
private func c_sinh(_ x: Double) -> Double { sinh(x) }
private func c_cosh(_ x: Double) -> Double { cosh(x) }
private func c_tanh(_ x: Double) -> Double { tanh(x) }
private func c_asinh(_ x: Double) -> Double { asinh(x) }
private func c_acosh(_ x: Double) -> Double { acosh(x) }
private func c_atanh(_ x: Double) -> Double { atanh(x) }
private func c_pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
private func c_fmod(_ x: Double, _ y: Double) -> Double { fmod(x, y) }
private func c_atan2(_ y: Double, _ x: Double) -> Double { atan2(y, x) }
