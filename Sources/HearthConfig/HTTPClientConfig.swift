/// How Hearth authenticates to a scrape target, a remote-write receiver or an Alertmanager
/// (Prometheus's `HTTPClientConfig`).
public struct HTTPClientConfig: Sendable, Equatable {
    public struct BasicAuth: Sendable, Equatable {
        public var username: String
        public var password: String
        public var passwordFile: String
    }

    public struct Authorization: Sendable, Equatable {
        public var type: String
        public var credentials: String
        public var credentialsFile: String
    }

    public struct TLSConfig: Sendable, Equatable {
        public var caFile = "", certFile = "", keyFile = "", serverName = ""
        public var insecureSkipVerify = false
        public var minVersion = ""
    }

    public var basicAuth: BasicAuth?
    public var authorization: Authorization?
    public var tlsConfig = TLSConfig()
    public var followRedirects = true
    public var enableHTTP2 = true
    public var proxyURL = ""

    public init() {}

    static let fieldNames: Set<String> = [
        "basic_auth", "authorization", "bearer_token", "bearer_token_file", "tls_config", "follow_redirects",
        "enable_http2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header", "oauth2",
    ]

    init(_ f: Fields, directory: String) throws(ConfigError) {
        if let v = f["basic_auth"] {
            let b = try v.fields("basic_auth", ["username", "password", "password_file", "username_file"])
            let password = try b["password"]?.string() ?? ""
            let passwordFile = FilePath.resolve(try b["password_file"]?.string() ?? "", in: directory)
            guard password.isEmpty || passwordFile.isEmpty else { throw v.fail("at most one of basic_auth password & password_file must be configured") }
            basicAuth = BasicAuth(username: try b["username"]?.string() ?? "", password: password, passwordFile: passwordFile)
        }
        if let v = f["authorization"] {
            let a = try v.fields("authorization", ["type", "credentials", "credentials_file"])
            let type = try a["type"]?.string() ?? "Bearer"
            guard type.lowercased() != "basic" else { throw v.fail("authorization type cannot be set to \"basic\", use \"basic_auth\" instead") }
            let credentials = try a["credentials"]?.string() ?? ""
            let file = FilePath.resolve(try a["credentials_file"]?.string() ?? "", in: directory)
            guard credentials.isEmpty || file.isEmpty else { throw v.fail("at most one of authorization credentials & credentials_file must be configured") }
            authorization = Authorization(type: type, credentials: credentials, credentialsFile: file)
        }
        let bearer = try f["bearer_token"]?.string() ?? ""
        let bearerFile = FilePath.resolve(try f["bearer_token_file"]?.string() ?? "", in: directory)
        if !bearer.isEmpty || !bearerFile.isEmpty {
            guard authorization == nil else { throw ConfigError(line: f["bearer_token"]?.line ?? f["bearer_token_file"]?.line, "authorization is not compatible with bearer_token & bearer_token_file") }
            guard bearer.isEmpty || bearerFile.isEmpty else { throw ConfigError(line: f["bearer_token"]?.line, "at most one of bearer_token & bearer_token_file must be configured") }
            authorization = Authorization(type: "Bearer", credentials: bearer, credentialsFile: bearerFile)
        }
        if basicAuth != nil, authorization != nil {
            throw ConfigError(line: f["basic_auth"]?.line, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured")
        }
        if let v = f["tls_config"] {
            let t = try v.fields("tls_config", ["ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify", "min_version", "max_version", "ca", "cert", "key"])
            tlsConfig.caFile = FilePath.resolve(try t["ca_file"]?.string() ?? "", in: directory)
            tlsConfig.certFile = FilePath.resolve(try t["cert_file"]?.string() ?? "", in: directory)
            tlsConfig.keyFile = FilePath.resolve(try t["key_file"]?.string() ?? "", in: directory)
            tlsConfig.serverName = try t["server_name"]?.string() ?? ""
            tlsConfig.insecureSkipVerify = try t["insecure_skip_verify"]?.bool() ?? false
            tlsConfig.minVersion = try t["min_version"]?.string() ?? ""
            guard tlsConfig.certFile.isEmpty == tlsConfig.keyFile.isEmpty else {
                throw v.fail("exactly one of key or key_file must be configured when a client certificate is configured")
            }
        }
        if let v = f["oauth2"] { throw v.fail("oauth2 is not supported by Hearth yet") }
        followRedirects = try f["follow_redirects"]?.bool() ?? true
        enableHTTP2 = try f["enable_http2"]?.bool() ?? true
        proxyURL = try f["proxy_url"]?.string() ?? ""
    }

    /// The `Authorization` header value, reading credential files as Prometheus does on each request.
    public func authorizationHeader(readFile: (String) -> String?) -> String? {
        if let b = basicAuth {
            let password = b.passwordFile.isEmpty ? b.password : (readFile(b.passwordFile) ?? "").trimmingTrailingNewlines
            return "Basic " + Base64.encode(Array("\(b.username):\(password)".utf8))
        }
        if let a = authorization {
            let credentials = a.credentialsFile.isEmpty ? a.credentials : (readFile(a.credentialsFile) ?? "").trimmingTrailingNewlines
            return "\(a.type) \(credentials)"
        }
        return nil
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Standard Base64 for basic auth headers.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i]), b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
