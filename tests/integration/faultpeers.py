"""Hostile peers for the fault suite: one asyncio process, run INSIDE a test namespace (``ip netns exec``).

``python faultpeers.py CONFIG.json`` serves every entry of the config's ``peers`` list and writes ``ready``
(a file named in the config) once every socket is bound. Each peer is one misbehaviour a real network shows:

    silent        TCP: accept, read, never answer (a hung service, a proxy holding the connection)
    garbage       TCP: answer at once with bytes that are no protocol's greeting, drain the request, close
    half          TCP: send ``data`` (half of a protocol greeting or reply) and close; ``first: client`` reads the
                  client's request first (client-speaks-first protocols), ``server`` sends at once
    drip          TCP: a greeting one byte at a time, ``interval`` seconds apart (slower than any timeout's end)
    tls_reset     TCP: read the TLS ClientHello, send the first bytes of a ServerHello, then reset (RST)
    smtp_reset    TCP: a plausible SMTP server up to STARTTLS (220, EHLO with STARTTLS, 220 go ahead), then a
                  reset in the middle of the TLS handshake
    https         TCP+TLS: an HTTP server answering every request with ``status`` and ``body``
    udp_garbage   UDP: answer every datagram with junk
"""
import asyncio
import json
import socket
import ssl
import struct
import sys

# No protocol starts like this; it still completes the framings the checks read (a CRLF-terminated line, a
# BER TLV, a 4-byte length prefix) so that each parser, not a timeout, has to judge it.
GARBAGE = (b'GARBAGE\xff\xfe\x00\x01 this is not a protocol reply\r\n' + bytes(range(256)) * 2 + b'\r\n')
SERVER_HELLO_START = b'\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03' + b'\x42' * 12


async def drain(reader, idle=0.3, limit=3.0):
    """Read what the client sends until it is idle for ``idle`` seconds (at most ``limit``); returns the bytes."""
    data = b''
    loop = asyncio.get_running_loop()
    end = loop.time() + limit
    while loop.time() < end:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), idle)
        except asyncio.TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    return data


def reset(writer):
    """Close with RST instead of FIN (SO_LINGER 0)."""
    sock = writer.get_extra_info('socket')
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    writer.transport.abort()


async def finish(reader, writer):
    """Half-close our side, let the client read what we sent, then close (FIN, not RST)."""
    try:
        if writer.can_write_eof():
            writer.write_eof()
        await drain(reader, idle=1.0, limit=3.0)
    except OSError:
        pass
    writer.close()


async def read_tls_client_hello(reader):
    head = await asyncio.wait_for(reader.readexactly(5), 5.0)
    length = int.from_bytes(head[3:5], 'big')
    await asyncio.wait_for(reader.readexactly(length), 5.0)


def tcp_handler(peer, tls_context=None):
    mode = peer['mode']

    async def handle(reader, writer):
        try:
            if mode == 'silent':
                while await reader.read(65536):
                    pass
                writer.close()
            elif mode == 'garbage':
                writer.write(GARBAGE)
                await writer.drain()
                await drain(reader)
                await finish(reader, writer)
            elif mode == 'half':
                data = bytes.fromhex(peer['data_hex'])
                if peer.get('first') == 'client':
                    await drain(reader, idle=0.3)
                writer.write(data)
                await writer.drain()
                if peer.get('first') != 'client':
                    await drain(reader, idle=0.3)
                await finish(reader, writer)
            elif mode == 'drip':
                # One byte of a greeting every ``interval`` seconds: never idle for a whole timeout, never done.
                for byte in (b'220 fault.example.test ESMTP ' * 20):
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(peer['interval'])
                writer.close()
            elif mode == 'tls_reset':
                await read_tls_client_hello(reader)
                writer.write(SERVER_HELLO_START)
                await writer.drain()
                await asyncio.sleep(0.05)
                reset(writer)
            elif mode == 'smtp_reset':
                writer.write(b'220 fault.example.test ESMTP ready\r\n')
                while True:
                    line = await asyncio.wait_for(reader.readline(), 10.0)
                    if not line:
                        writer.close()
                        return
                    verb = line.split(b' ', 1)[0].strip().upper()
                    if verb in (b'EHLO', b'HELO'):
                        writer.write(b'250-fault.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n')
                    elif verb == b'STARTTLS':
                        writer.write(b'220 2.0.0 go ahead\r\n')
                        await writer.drain()
                        await read_tls_client_hello(reader)
                        writer.write(SERVER_HELLO_START)
                        await writer.drain()
                        await asyncio.sleep(0.05)
                        reset(writer)
                        return
                    else:
                        writer.write(b'502 5.5.2 not here\r\n')
                    await writer.drain()
            elif mode == 'https':
                await https_exchange(peer, reader, writer)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ssl.SSLError):
            writer.transport.abort()
    return handle


async def https_exchange(peer, reader, writer):
    # One request per connection: read the head (and a form body, if any), answer, close.
    head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), 10.0)
    length = 0
    for line in head.split(b'\r\n'):
        if line.lower().startswith(b'content-length:'):
            length = int(line.split(b':', 1)[1].strip() or 0)
    if length:
        await asyncio.wait_for(reader.readexactly(length), 10.0)
    body = peer['body'].encode()
    writer.write(b'HTTP/1.1 %d %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n'
                 % (peer['status'], peer.get('status_text', 'Fault').encode(), len(body)) + body)
    await writer.drain()
    writer.close()


class UdpGarbage(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(GARBAGE[:64], addr)


async def serve(config):
    loop = asyncio.get_running_loop()
    servers = []
    for peer in config['peers']:
        if peer['mode'] == 'udp_garbage':
            transport, dummy = await loop.create_datagram_endpoint(UdpGarbage, local_addr=(peer['host'], peer['port']))
            servers.append(transport)
            continue
        tls = None
        if peer['mode'] == 'https':
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(config['cert'], config['key'])
        servers.append(await asyncio.start_server(tcp_handler(peer), peer['host'], peer['port'], ssl=tls,
                                                  reuse_address=True))
    with open(config['ready'], 'w') as fh:
        fh.write('ready\n')
    await asyncio.Event().wait()


def main():
    with open(sys.argv[1]) as fh:
        config = json.load(fh)
    asyncio.run(serve(config))


if __name__ == '__main__':
    main()
