/**
 * RFC 8448 §3 after the server flight (which test/tls-rfc8448.test.ts covers): the client's Finished
 * value and record, the NewSessionTicket, 50 bytes of application data each way and both
 * close_notify records, each sealed byte for byte under the keys of the trace.
 */
import { describe, expect, it } from 'vitest';
import { authenticationFlight } from '../src/tls/authentication.js';
import { KeySchedule, trafficKeys } from '../src/tls/key-schedule.js';
import { HandshakeReassembler, HandshakeType, decodeNewSessionTicket } from '../src/tls/messages.js';
import { ContentType, RecordDeframer, RecordProtection } from '../src/tls/record.js';
import { Transcript } from '../src/tls/transcript.js';
import { CLIENT_HELLO, SERVER_FLIGHT, SERVER_HELLO, TRANSCRIPT_THROUGH_SERVER_FINISHED, hex } from './tls-rfc8448.js';

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const ECDHE = hex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');
const CLIENT_FINISHED = hex('14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61');
const TRANSCRIPT_THROUGH_CLIENT_FINISHED = '209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d';
const CLIENT_AP = { key: '17422dda596ed5d9acd890e3c63f5051', iv: '5b78923dee08579033e523d9' };
const SERVER_AP = { key: '9f02283b6c9c07efc26bb9f2ac92e356', iv: 'cf782b88dd83549aadf1e984' };
const CLIENT_FINISHED_RECORD = hex('170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546');
const NEW_SESSION_TICKET_RECORD = hex(`
17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3d11d63c758db289a015940252f55713e061dc13e07889
1a38efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e09c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5
b406f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137
121c74bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf15985684f`);
const APPLICATION_DATA = Uint8Array.from({ length: 50 }, (_, i) => i);
const CLIENT_DATA_RECORD = hex(`
1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae
63aeebb21694915e4`);
const SERVER_DATA_RECORD = hex(`
17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf3325
40dd032e167c2955d`);
const CLIENT_CLOSE_NOTIFY_RECORD = hex('1703030013c9872760655666b74d7ff1153efd6db6d0b0e3');
const SERVER_CLOSE_NOTIFY_RECORD = hex('1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9');

function schedule(): { transcript: Transcript; hs: { client: Uint8Array; server: Uint8Array }; ap: { client: Uint8Array; server: Uint8Array } } {
  const transcript = new Transcript();
  transcript.add(CLIENT_HELLO);
  transcript.add(SERVER_HELLO);
  transcript.setHash('sha256');
  const keySchedule = new KeySchedule('sha256');
  const hs = keySchedule.enterHandshake(ECDHE, transcript.current());
  for (const message of new HandshakeReassembler().push(SERVER_FLIGHT)) transcript.add(message);
  expect(toHex(transcript.current())).toBe(toHex(TRANSCRIPT_THROUGH_SERVER_FINISHED));
  return { transcript, hs, ap: keySchedule.enterApplication(transcript.current()) };
}

function open(protection: RecordProtection, bytes: Uint8Array): { type: number; content: Uint8Array } {
  const deframer = new RecordDeframer();
  deframer.push(bytes);
  return protection.open(deframer.next()!);
}

describe('RFC 8448 §3 after the server flight', () => {
  it("the client's Finished value and its record under the client handshake key", () => {
    const { transcript, hs } = schedule();
    const [finished] = authenticationFlight({
      transcript, hash: 'sha256', baseKey: hs.client, fromServer: false, credentials: undefined, scheme: undefined, context: undefined,
    });
    expect(toHex(finished!)).toBe(toHex(CLIENT_FINISHED));
    expect(toHex(transcript.current())).toBe(TRANSCRIPT_THROUGH_CLIENT_FINISHED);
    const sealed = new RecordProtection('aes-128-gcm', trafficKeys('sha256', hs.client, 16)).seal(ContentType.handshake, finished!);
    expect(toHex(sealed)).toBe(toHex(CLIENT_FINISHED_RECORD));
  });

  it('application keys; NewSessionTicket, data and close_notify records in the order of the trace', () => {
    const { ap } = schedule();
    const clientKeys = trafficKeys('sha256', ap.client, 16);
    const serverKeys = trafficKeys('sha256', ap.server, 16);
    expect({ key: toHex(clientKeys.key), iv: toHex(clientKeys.iv) }).toEqual(CLIENT_AP);
    expect({ key: toHex(serverKeys.key), iv: toHex(serverKeys.iv) }).toEqual(SERVER_AP);

    // server: NewSessionTicket (sequence 0), data (1), close_notify (2); client: data (0), close_notify (1)
    const serverReader = new RecordProtection('aes-128-gcm', serverKeys);
    const ticketRecord = open(serverReader, NEW_SESSION_TICKET_RECORD);
    expect(ticketRecord.type).toBe(ContentType.handshake);
    const [ticketMessage] = new HandshakeReassembler().push(ticketRecord.content);
    expect(ticketMessage![0]).toBe(HandshakeType.new_session_ticket);
    const ticket = decodeNewSessionTicket(ticketMessage!.subarray(4));
    expect(ticket.lifetime).toBe(30);
    expect(ticket.ticket.length).toBe(0xb2);

    const serverWriter = new RecordProtection('aes-128-gcm', serverKeys);
    expect(toHex(serverWriter.seal(ContentType.handshake, ticketRecord.content))).toBe(toHex(NEW_SESSION_TICKET_RECORD));
    expect(toHex(serverWriter.seal(ContentType.application_data, APPLICATION_DATA))).toBe(toHex(SERVER_DATA_RECORD));
    expect(toHex(serverWriter.seal(ContentType.alert, Uint8Array.of(1, 0)))).toBe(toHex(SERVER_CLOSE_NOTIFY_RECORD));
    const clientWriter = new RecordProtection('aes-128-gcm', clientKeys);
    expect(toHex(clientWriter.seal(ContentType.application_data, APPLICATION_DATA))).toBe(toHex(CLIENT_DATA_RECORD));
    expect(toHex(clientWriter.seal(ContentType.alert, Uint8Array.of(1, 0)))).toBe(toHex(CLIENT_CLOSE_NOTIFY_RECORD));

    // and opened in the same order by the other side
    const clientReader = new RecordProtection('aes-128-gcm', clientKeys);
    expect(toHex(open(clientReader, CLIENT_DATA_RECORD).content)).toBe(toHex(APPLICATION_DATA));
    expect(open(clientReader, CLIENT_CLOSE_NOTIFY_RECORD)).toEqual({ type: ContentType.alert, content: expect.anything() });
    // a record opened at the wrong sequence number fails its tag: bad_record_mac (§5.2)
    expect(() => open(new RecordProtection('aes-128-gcm', serverKeys), SERVER_DATA_RECORD)).toThrow(expect.objectContaining({ alert: 'bad_record_mac' }));
  });
});
