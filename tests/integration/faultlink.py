"""A lossy, slow link between the root namespace and a test namespace, in user space (a stand-in for tc netem).

The kernels of the build machines come without sch_netem (``tc qdisc add ... netem`` answers "Specified qdisc kind
is unknown") and without nft's queue statement, so the fault suite emulates the link itself: two TUN devices, one
in the root namespace (``--host-if``), one inside ``--netns`` (``--ns-if``), and this process between them. Every
IP packet read from one device is written to the other, unless the loss model drops it, after ``--delay-ms``:

    --loss PERCENT --seed N   drop each packet with probability PERCENT, from a seeded generator per direction
                              (the same drops in the same order on every run)
    --drop-every N            drop exactly every N-th packet in each direction, starting with the first

``python faultlink.py --host-if pfmvef2h --netns pfmvef-loss10 --ns-if pfmvef2p --loss 10 --seed 7``
The devices must exist (``ip tuntap add ... mode tun``); the process ends when either device goes away.
"""
import argparse
import asyncio
import ctypes
import fcntl
import os
import random
import struct

TUNSETIFF = 0x400454ca
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000


def open_tun(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open('/run/netns/%s' % name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, 'setns(%s): %s' % (name, os.strerror(err)))
    finally:
        os.close(fd)


class Direction(object):
    def __init__(self, loop, src, dst, args, seed, done):
        self.loop, self.src, self.dst, self.done = loop, src, dst, done
        self.delay = args.delay_ms / 1000.0
        self.loss = args.loss / 100.0
        self.every = args.drop_every
        self.rng = random.Random(seed)
        self.count = 0

    def drop(self):
        n, self.count = self.count, self.count + 1
        if self.every:
            return n % self.every == 0
        return self.loss > 0 and self.rng.random() < self.loss

    def readable(self):
        while True:
            try:
                packet = os.read(self.src, 65535)
            except BlockingIOError:
                return
            except OSError:
                self.done.set()
                return
            if not packet:
                self.done.set()
                return
            if self.drop():
                continue
            if self.delay:
                self.loop.call_later(self.delay, self.write, packet)
            else:
                self.write(packet)

    def write(self, packet):
        try:
            os.write(self.dst, packet)
        except BlockingIOError:
            pass  # a full queue drops the packet, as a real link would
        except OSError:
            self.done.set()


async def relay(args):
    host = open_tun(args.host_if)
    enter_netns(args.netns)
    inner = open_tun(args.ns_if)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    out = Direction(loop, host, inner, args, args.seed, done)
    back = Direction(loop, inner, host, args, args.seed + 1, done)
    loop.add_reader(host, out.readable)
    loop.add_reader(inner, back.readable)
    if args.ready:
        with open(args.ready, 'w') as fh:
            fh.write('%d\n' % os.getpid())
    await done.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--host-if', required=True)
    parser.add_argument('--netns', required=True)
    parser.add_argument('--ns-if', required=True)
    parser.add_argument('--loss', type=float, default=0.0)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--drop-every', type=int, default=0)
    parser.add_argument('--delay-ms', type=float, default=0.0)
    parser.add_argument('--ready', help='file to write our pid to once both devices are attached')
    asyncio.run(relay(parser.parse_args()))


if __name__ == '__main__':
    main()
