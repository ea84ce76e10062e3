#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one stripe's open chunks, in fixed 64-byte segments carved from 4 KiB pages
/// mapped straight from the kernel. A segment holds 60 bytes of chunk and the link to the next
/// segment of its chain, so walking a chain costs one memory access per segment, and the links
/// come and go with their page.
///
/// An open chunk grows a few bytes per sample and is dropped when cut. As a heap array per
/// series it cost a 48-byte header, spare capacity, and holes: every series of a head grows and
/// is cut at about the same time, so the allocator kept the peak resident. Here a chunk is a
/// chain of segments (on average half a segment unused); a cut chunk's segments go to a free
/// list, and once most segments are free the stripe compacts its chains into the lowest pages
/// and unmaps the rest (``Stripe/SeriesState/compactChunks()``), so resident memory follows the
/// open chunks instead of their peak. Pages are small because a head has thousands of stripes
/// with a few dozen series each.
///
/// Why 64 bytes: series grow in step, so a chain's segments land in different pages and each
/// one is a cache and TLB miss when a query copies the chunk out. With XOR chunks, 64-byte
/// segments (six per chunk on the benchmark data) made `count(node_load1)` over 1,064 series
/// take 6.4 ms instead of 4.9, and segments were 128 bytes. Decimal chunks (``HeadChunkEncoder``)
/// are half the size, so a chunk is about four 64-byte segments, and the smaller segment
/// halves the unused end of each chain (about 4 MB at 100k series).
///
/// The space also keeps the metas of the stripe's completed chunks (``MappedChunkArena``), so
/// that a series' chunks, open and completed, are found through the one object passed around
/// with it.
///
/// Only touched under its stripe's series lock.
final class ChunkSpace: @unchecked Sendable {
    static let segmentSize = 64
    static let segmentShift = 6
    /// Chunk bytes per segment; the last 4 bytes are the link.
    static let dataBytes = 60
    static let pageSize = 4096
    /// Segment ids are `page << pageShift | slot`.
    static let pageShift = 6
    static let segmentsPerPage = pageSize / segmentSize
    /// Marks the end of a chain.
    static let none = UInt32.max
    /// Pages are mapped this many at a time: untouched ones cost address space, not memory,
    /// and one `mmap` per page made threads loading a snapshot queue on the kernel's lock.
    static let pagesPerMapping = 16

    private var pages: [UnsafeMutableRawPointer] = []
    private var freeList = ChunkSpace.none
    /// Mapped pages not yet in use: `reserveCount` pages from `reserve` on.
    private var reserve: UnsafeMutableRawPointer?
    private var reserveCount = 0
    /// Segments holding chunk bytes.
    private(set) var segmentsInUse = 0
    /// The stripe's completed chunks.
    var mapped = MappedChunkArena()

    deinit {
        for p in pages { Self.unmap(p) }
        if let reserve { Self.unmap(reserve, pages: reserveCount) }
    }

    /// Bytes of pages mapped.
    var capacityBytes: Int { pages.count * Self.pageSize }

    /// Whether most of the mapped segments are free: time to compact.
    var wantsCompaction: Bool {
        pages.count > 1 && segmentsInUse * 2 < pages.count * Self.segmentsPerPage
    }

    /// A segment for a chain's end; its link is `none`.
    @inline(__always)
    func allocate() -> UInt32 {
        if freeList == Self.none { addPage() }
        let s = freeList
        freeList = link(s).pointee
        link(s).pointee = Self.none
        segmentsInUse &+= 1
        return s
    }

    /// Appends a fresh segment after `last`, the end of a chain, and returns it.
    @inline(__always)
    func extend(after last: UInt32) -> UInt32 {
        let s = allocate()
        link(last).pointee = s
        return s
    }

    /// Returns the chain starting at `first` to the free list.
    func release(chainFrom first: UInt32) {
        var s = first
        while true {
            segmentsInUse &-= 1
            let next = link(s).pointee
            if next == Self.none { break }
            s = next
        }
        link(s).pointee = freeList
        freeList = first
    }

    @inline(__always)
    func next(after segment: UInt32) -> UInt32 { link(segment).pointee }

    /// The first byte of `segment`.
    @inline(__always)
    func base(of segment: UInt32) -> UnsafeMutablePointer<UInt8> {
        (pages[Int(segment &>> UInt32(Self.pageShift))] + Int(segment & Self.slotMask) &<< Self.segmentShift)
            .assumingMemoryBound(to: UInt8.self)
    }

    private static let slotMask: UInt32 = (1 << UInt32(pageShift)) - 1

    /// Where the link from `segment` to the next one is stored: its last 4 bytes.
    @inline(__always)
    private func link(_ segment: UInt32) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(base(of: segment) + Self.dataBytes).assumingMemoryBound(to: UInt32.self)
    }

    /// Puts the slots of page `index` on the free list, in order, ahead of what is there.
    private func threadFreeList(throughPage index: Int) {
        let first = UInt32(index) << UInt32(Self.pageShift)
        for i in 0..<UInt32(Self.segmentsPerPage) {
            link(first + i).pointee = i + 1 < UInt32(Self.segmentsPerPage) ? first + i + 1 : freeList
        }
        freeList = first
    }

    /// Frees every segment and keeps only the pages `segments` segments need, lowest first, so
    /// that chains written next fill them in order. Every chain is invalid afterwards: the
    /// caller has copied out what it keeps.
    func reset(keepingPagesFor segments: Int) {
        let keep = min(pages.count, (segments + Self.segmentsPerPage - 1) / Self.segmentsPerPage)
        for p in pages[keep...] { Self.unmap(p) }
        pages.removeLast(pages.count - keep)
        // The free list runs through the kept pages in ascending order.
        freeList = Self.none
        for index in pages.indices.reversed() { threadFreeList(throughPage: index) }
        segmentsInUse = 0
    }

    private func addPage() {
        if reserveCount == 0 {
            reserve = Self.map(pages: Self.pagesPerMapping)
            reserveCount = Self.pagesPerMapping
        }
        pages.append(reserve!)
        reserveCount -= 1
        reserve = reserveCount > 0 ? reserve! + Self.pageSize : nil
        threadFreeList(throughPage: pages.count - 1)
    }

    /// Pages from the kernel: unmapping one gives its memory back at once, which freeing a
    /// malloc block would not.
    private static func map(pages: Int) -> UnsafeMutableRawPointer {
        guard let p = mmap(nil, pages * pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != MAP_FAILED else {
            fatalError("out of memory: cannot map pages for open chunks")
        }
        return p
    }

    private static func unmap(_ p: UnsafeMutableRawPointer, pages: Int = 1) {
        munmap(p, pages * pageSize)
    }
}
