#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/.

Each seed is a well-formed input in the target's own format (see the
comment at the top of tests/fuzz/fuzz_<target>.c): rings with valid
chains, register sequences a driver would make, a bzImage and an ELF
header the loaders accept, command lines, HTTP requests and JSON bodies.
The fuzzer mutates from there.  Regression inputs for bugs found are kept
next to them under names starting with "crash-"; this script never
touches those.

usage: tests/fuzz/make-seeds.py [corpus dir]
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus")

F_VERSION_1 = 1 << 32
F_INDIRECT = 1 << 28
F_EVENT_IDX = 1 << 29
DESC_NEXT, DESC_WRITE, DESC_INDIRECT = 1, 2, 4


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


class Image:
    """Guest RAM image (little endian) as tests/fuzz/vtransport.c lays it
    out: queue i at i * 0x1000 (descriptors), + 0x800 (avail), + 0xc00
    (used); buffers from 0x4000."""

    def __init__(self):
        self.b = bytearray()
        self.next_buf = 0x4000

    def w(self, addr, data):
        if len(self.b) < addr + len(data):
            self.b.extend(bytes(addr + len(data) - len(self.b)))
        self.b[addr:addr + len(data)] = data

    def buf(self, data=b"", size=None):
        size = len(data) if size is None else size
        addr = self.next_buf
        self.w(addr, data.ljust(size, b"\0"))
        self.next_buf += (size + 15) & ~15
        return addr

    def queue(self, q, chains):
        """chains: list of lists of (addr, len, write)."""
        base = q * 0x1000
        d = 0
        heads = []
        for chain in chains:
            heads.append(d)
            for i, (addr, ln, wr) in enumerate(chain):
                flags = (DESC_WRITE if wr else 0)
                nxt = 0
                if i + 1 < len(chain):
                    flags |= DESC_NEXT
                    nxt = d + 1
                self.w(base + 16 * d, struct.pack("<QIHH", addr, ln, flags,
                                                  nxt))
                d += 1
        self.w(base + 0x800, struct.pack("<HH", 0, len(heads)))
        for i, h in enumerate(heads):
            self.w(base + 0x804 + 2 * i, struct.pack("<H", h))


def vt_input(features, script, sizes, img):
    """The vtransport header: features, script, queue sizes, image."""
    return (struct.pack("<QB", features, len(script)) + bytes(script) +
            bytes(sizes) + bytes(img.b))


def vt_seeds():
    # virtio-blk, queue mode (mode byte bit 0 clear).
    for name, typ, wlen, rdata in (("read", 0, 512, b""),
                                   ("write", 1, 0, b"W" * 512),
                                   ("flush", 4, 0, b""),
                                   ("get-id", 8, 20, b""),
                                   ("discard", 11, 0,
                                    struct.pack("<QII", 8, 8, 0)),
                                   ("write-zeroes", 13, 0,
                                    struct.pack("<QII", 16, 8, 1))):
        img = Image()
        hdr = img.buf(struct.pack("<IIQ", typ, 0, 2) + rdata)
        chain = [(hdr, 16 + len(rdata), 0)]
        if wlen:
            chain.append((img.buf(size=wlen), wlen, 1))
        chain.append((img.buf(size=1), 1, 1))
        img.queue(0, [chain])
        put("virtio_blk", "queue-" + name,
            b"\x00" + vt_input(F_VERSION_1, [0, 0], [5], img))
    # virtio-blk, chain mode: mode, nr, nout, lens, readable data.
    for name, typ, lens, nout in (("read", 0, [16, 512, 1], 1),
                                  ("write", 1, [16, 512, 1], 2),
                                  ("get-id", 8, [16, 20, 1], 1),
                                  ("discard", 11, [16, 16, 1], 2)):
        body = struct.pack("<BB", len(lens), nout)
        body += b"".join(struct.pack("<H", ln) for ln in lens)
        body += struct.pack("<IIQ", typ, 0, 1)
        if nout == 2:
            body += (struct.pack("<QII", 0, 8, 0) if typ == 11 else
                     b"D" * 512)
        put("virtio_blk", "chain-" + name, b"\x01" + body)

    # virtio-rng: one writable buffer, kicked twice.
    img = Image()
    img.queue(0, [[(img.buf(size=64), 64, 1)], [(img.buf(size=8), 8, 1)]])
    put("virtio_rng", "read", vt_input(F_VERSION_1, [0, 0], [5], img))

    # virtio-console: receiveq 0 (writable), transmitq 1 (text); host
    # input events have the top bit set.
    img = Image()
    rx = img.buf(size=64)
    tx = img.buf(b"hello from the guest\n")
    img.queue(0, [[(rx, 64, 1)]])
    img.queue(1, [[(tx, 21, 0)]])
    put("virtio_console", "rx-tx",
        vt_input(F_VERSION_1, [1, 0x90, 0, 1], [5, 5], img))

    # virtio-pmem: a flush request and its response.
    img = Image()
    req = img.buf(struct.pack("<I", 0))
    resp = img.buf(size=4)
    img.queue(0, [[(req, 4, 0), (resp, 4, 1)]])
    put("virtio_pmem", "flush", b"\x00" + vt_input(F_VERSION_1, [0], [5],
                                                   img))

    # virtio-net, one pair: rx 0, tx 1, ctrl 2.
    img = Image()
    frame = bytes(12) + b"\xff" * 6 + b"\x52\x54\x00\x12\x34\x56" + \
        b"\x08\x00" + b"P" * 46
    img.queue(0, [[(img.buf(size=1526), 1526, 1)]])
    img.queue(1, [[(img.buf(frame), len(frame), 0)]])
    ctrl = img.buf(b"\x00\x00\x01")  # RX class, PROMISC, on
    ack = img.buf(size=1)
    img.queue(2, [[(ctrl, 3, 0), (ack, 1, 1)]])
    feats = F_VERSION_1 | (1 << 17) | (1 << 18) | (1 << 5) | (1 << 0)
    put("virtio_net", "tx-rx-ctrl",
        b"\x00" + vt_input(feats, [1, 0x84, 0, 2], [5, 5, 5], img))

    # virtio-vsock: rx 0, tx 1, event 2.  REQUEST to port 1024, then RW.
    def vs_hdr(op, ln=0, port=1024):
        return struct.pack("<QQIIIHHIII", 3, 2, 5000, port, ln, 1, op, 0,
                           65536, 0)
    img = Image()
    img.queue(0, [[(img.buf(size=44 + 256), 44 + 256, 1)],
                  [(img.buf(size=44 + 256), 44 + 256, 1)]])
    req = img.buf(vs_hdr(1))
    rw = img.buf(vs_hdr(5, 5) + b"hello")
    img.queue(1, [[(req, 44, 0)], [(rw, 49, 0)]])
    put("virtio_vsock", "request-rw",
        vt_input(F_VERSION_1, [0, 1, 0, 0xc4, 0], [5, 5, 5], img))


def virtqueue_seeds():
    # Header: size index 4 (16 entries), indirect on; no script ops.
    img = Image()
    img.w(0, struct.pack("<QIHH", 0x1000, 16, DESC_NEXT, 1))
    img.w(16, struct.pack("<QIHH", 0x1100, 64, DESC_WRITE, 0))
    # An indirect table of two descriptors at 0x2000.
    img.w(32, struct.pack("<QIHH", 0x2000, 32, DESC_INDIRECT, 0))
    img.w(0x2000, struct.pack("<QIHH", 0x1200, 8, DESC_NEXT, 1))
    img.w(0x2010, struct.pack("<QIHH", 0x1300, 8, DESC_WRITE, 0))
    img.w(0x4000, struct.pack("<HHHH", 0, 2, 0, 2))
    put("virtqueue", "two-chains", bytes([0x14, 2, 0, 4]) + bytes(img.b))
    put("virtqueue", "event-idx", bytes([0x34, 3, 6, 0, 5]) + bytes(img.b))


def op(write, size, off, val=None, extra=0):
    """An access for fz_bus_ops: op byte, u16 offset, value."""
    lg = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    b = bytes([(1 if write else 0) | lg << 1 | extra]) + \
        struct.pack("<H", off)
    if write:
        b += val.to_bytes(size, "little")
    return b


def device_seeds():
    # 16550A: 115200 8N1 with FIFOs and interrupts, send, loopback, read.
    s = b"\x01"
    for off, v in ((3, 0x80), (0, 1), (1, 0), (3, 3), (2, 0xc7), (1, 0x0f),
                   (4, 0x0b), (0, ord("A")), (4, 0x1b), (0, ord("B"))):
        s += op(1, 1, off, v)
    for off in (5, 0, 2, 6, 5, 0):
        s += op(0, 1, off)
    s += bytes([0x08, 0, 0, 4]) + b"rx!\n"  # host input, then a read
    put("uart", "init-loopback", s)

    # CMOS: a clock, memory sizes; read the time, program alarms/periodic.
    s = struct.pack("<QQQ", 1700000000 * 10**9, 3 << 30, 1 << 30)
    for reg in (0, 2, 4, 6, 7, 8, 9, 0x32, 0x0a, 0x0b, 0x0c, 0x0d, 0x34,
                0x35, 0x5b):
        s += op(1, 1, 0, reg) + op(0, 1, 1)
    s += op(1, 1, 0, 0x0b) + op(1, 1, 1, 0x62)  # PIE + AIE, 24h
    s += op(1, 1, 0, 0x0a) + op(1, 1, 1, 0x26)
    s += op(0, 1, 1, extra=0x38) + struct.pack("<I", 1000000)
    s += op(1, 1, 0, 0x0c) + op(0, 1, 1, extra=0x10)
    put("cmos", "time-alarm", s)

    # IOAPIC: version, then program pin 4 and raise it, EOI.
    s = b"\x00"
    s += op(1, 4, 0, 1) + op(0, 4, 0x10)
    s += op(1, 4, 0, 0x18) + op(1, 4, 0x10, 0x0000a030)
    s += op(1, 4, 0, 0x19) + op(1, 4, 0x10, 0x01000000)
    s += op(0, 4, 0x10, extra=0x18) + b"\x04"
    s += op(1, 4, 0x40, 0x30, extra=0x20) + b"\x30"
    put("ioapic", "route-pin4", s)
    put("ioapic", "router", b"\x80" + s[1:])

    # i8042: read the command byte, write it, self test, pulse reset.
    s = b"\x00"
    for b_ in (0x20, 0x60, 0xaa, 0xab, 0xd1, 0xfe):
        s += op(1, 1, 4, b_) + op(0, 1, 4) + op(0, 1, 0)
    put("i8042", "commands", s)

    # PCI: mechanism #1 reads of ids and BAR sizing, ECAM enable.
    s = b""
    for dev in range(4):
        addr = 0x80000000 | dev << 11
        s += bytes([0x05]) + struct.pack("<I", addr) + b"\x00"  # cf8
        s += bytes([0x04]) + b"\x04"  # read cfc
        s += bytes([0x05]) + struct.pack("<I", addr | 0x10) + b"\x00"
        s += bytes([0x05]) + struct.pack("<I", 0xffffffff) + b"\x04"
        s += bytes([0x04]) + b"\x04"
    # ECAM (op bits 3-5 = 2): program BAR1 of 00:01.0 and enable memory.
    s += bytes([0x15]) + struct.pack("<I", 0xc0000000) + \
        struct.pack("<I", (1 << 15) | 0x14)
    s += bytes([0x13]) + struct.pack("<H", 6) + \
        struct.pack("<I", (1 << 15) | 0x04)
    s += bytes([0x24]) + struct.pack("<I", 0)  # read the BAR window
    put("pci", "enumerate", s)

    # virtio-pci: device kind, then a driver's initialisation through the
    # common config (BAR 0 offset 0) and ECAM (op bits 3-4 = 2).
    for kind in range(3):
        s = bytes([kind])
        for off, size, val in ((0x14, 1, 0), (0x14, 1, 1), (0x14, 1, 3),
                               (0x00, 4, 1), (0x08, 4, 1), (0x0c, 4, 1),
                               (0x14, 1, 11), (0x16, 2, 0), (0x18, 2, 16),
                               (0x20, 8, 0x10000), (0x28, 8, 0x11000),
                               (0x30, 8, 0x12000), (0x1a, 2, 1),
                               (0x1c, 2, 1), (0x10, 2, 0), (0x14, 1, 15)):
            lg = {1: 0, 2: 1, 4: 2, 8: 3}[size]
            s += bytes([1 | lg << 1]) + val.to_bytes(size, "little") + \
                struct.pack("<H", off)
        for off in (0, 0x34, 0x40, 0x50):  # capabilities
            s += bytes([0x14]) + struct.pack("<H", off)
        put("virtio_pci", "init-kind%d" % kind, s)


def loader_seeds():
    # A bzImage: one setup sector plus a page of "kernel".
    bz = bytearray(512 * 2 + 4096)
    struct.pack_into("<B", bz, 0x1f1, 1)  # setup_sects
    struct.pack_into("<H", bz, 0x1fe, 0xaa55)
    struct.pack_into("<B", bz, 0x201, 0x66)  # header ends at 0x268
    bz[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", bz, 0x206, 0x020f)
    struct.pack_into("<B", bz, 0x211, 0x01)  # LOADED_HIGH
    struct.pack_into("<I", bz, 0x230, 0x200000)  # kernel_alignment
    struct.pack_into("<B", bz, 0x234, 1)  # relocatable
    struct.pack_into("<H", bz, 0x236, 0x01)  # XLF_KERNEL_64
    struct.pack_into("<I", bz, 0x238, 2047)  # cmdline_size
    struct.pack_into("<Q", bz, 0x258, 0x1000000)  # pref_address
    struct.pack_into("<I", bz, 0x260, 0x20000)  # init_size
    cmd = b"console=ttyS0 root=/dev/vda\0"
    put("kernel", "bzimage",
        bytes([0x10]) + cmd + struct.pack("<I", len(bz)) + bytes(bz))
    put("kernel", "bzimage-initrd",
        bytes([0x30]) + cmd + struct.pack("<I", len(bz)) + bytes(bz) +
        b"070701" + bytes(200))

    # An ELF vmlinux with a PT_LOAD at 16 MiB and a PVH note.
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + \
        struct.pack("<I", 0x1000000)
    ehdr_size, ph_size = 64, 56
    ph_off = ehdr_size
    note_off = ph_off + 2 * ph_size
    code_off = 0x1000
    elf = bytearray(code_off + 0x100)
    struct.pack_into("<4sBBBB8xHHIQQQIHHHHHH", elf, 0, b"\x7fELF", 2, 1, 1,
                     0, 2, 62, 1, 0x1000000, ph_off, 0, 0, ehdr_size,
                     ph_size, 2, 64, 0, 0)
    struct.pack_into("<IIQQQQQQ", elf, ph_off, 1, 5, code_off, 0x1000000,
                     0x1000000, 0x100, 0x2000, 0x1000)
    struct.pack_into("<IIQQQQQQ", elf, ph_off + ph_size, 4, 4, note_off, 0,
                     0, len(note), len(note), 4)
    elf[note_off:note_off + len(note)] = note
    put("kernel", "elf-pvh",
        bytes([0x10]) + cmd + struct.pack("<I", len(elf)) + bytes(elf))

    # ACPI: flags (serial, PM timer, PCI, GED), vCPUs, windows.
    for name, flags, ncpu in (("plain", 0x03, 1), ("pci-ged", 0x0f, 8),
                              ("many-cpus", 0x07, 255)):
        s = bytes([flags]) + struct.pack("<H", ncpu)
        s += bytes([0, 0])  # bus range
        s += struct.pack("<QQQQ", 0xc0000000, 0x20000000, 1 << 40, 1 << 36)
        s += struct.pack("<HH", 0xc000, 0x1000)
        s += struct.pack("<QI", 0xfed00000, 9)
        put("acpi", name, s)


def text_seeds():
    argv = ["--kernel", "/vmlinuz", "--initramfs", "/initrd.img",
            "--cmdline", "console=ttyS0 quiet", "--cpus", "boot=2",
            "--memory", "size=512M", "--disk",
            "path=/a.img,readonly=on,num_queues=2,queue_size=128",
            "path=/b.img,id=data,serial=SER1", "--net",
            "tap=tap0,mac=12:34:56:78:9a:bc,ip=192.168.1.1,"
            "mask=255.255.255.0,num_queues=4", "--rng", "src=/dev/urandom",
            "--serial", "tty", "--console", "off", "--vsock",
            "cid=3,socket=/tmp/v.sock", "--pmem", "file=/p.img,size=2M",
            "--api-socket", "path=/tmp/api.sock", "--seccomp", "log", "-v"]
    put("cli", "full", b"\x00" + b"\0".join(a.encode() for a in argv))
    put("cli", "kv",
        b"\x01a=1,b=x,path=/a,b.img\0" + b"512M\0" + b"1024\0" + b"on\0")

    body = (b'{"payload":{"kernel":"/vmlinuz","cmdline":"console=ttyS0"},'
            b'"cpus":{"boot_vcpus":2,"max_vcpus":2},'
            b'"memory":{"size":536870912},'
            b'"disks":[{"path":"/a.img","readonly":true}],'
            b'"net":[{"tap":"tap0","mac":"12:34:56:78:9a:bc"}],'
            b'"rng":{"src":"/dev/urandom"},'
            b'"serial":{"mode":"Tty"},"console":{"mode":"Off"}}')
    put("api_json", "vm-config", body)
    put("api_json", "minimal", b'{"payload":{"kernel":"/k"}}')
    put("api_http", "create",
        b"PUT /api/v1/vm.create HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        % len(body) + body)
    put("api_http", "pipelined",
        b"GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\n\r\n"
        b"PUT /api/v1/vm.boot HTTP/1.0\r\nContent-Length: 0\r\n"
        b"Expect: 100-continue\r\n\r\n")


if __name__ == "__main__":
    vt_seeds()
    virtqueue_seeds()
    device_seeds()
    loader_seeds()
    text_seeds()
