import Foundation

/// One `Value` per thread, made on the thread's first use and released when the thread ends: the
/// state of gradient mode, of a running `gradients` pass and of the op profiler, which each thread
/// that records ops (a training loop, a test) keeps apart from the others.
struct PerThread<Value: AnyObject>: @unchecked Sendable {
    private let key: pthread_key_t
    private let make: () -> Value

    init(_ make: @escaping () -> Value) {
        var k = pthread_key_t()
        pthread_key_create(&k) { if let p = $0 { Unmanaged<AnyObject>.fromOpaque(p).release() } }
        key = k
        self.make = make
    }

    /// This thread's value.
    var value: Value {
        if let p = pthread_getspecific(key) { return Unmanaged<Value>.fromOpaque(p).takeUnretainedValue() }
        let v = make()
        pthread_setspecific(key, Unmanaged.passRetained(v).toOpaque())
        return v
    }
}
