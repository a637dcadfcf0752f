// The event-sequence scenarios of issue 5 ("normal close, peer half-close, refused, reset,
// timeout, destroy with error"), written once for any net.Socket-like Duplex: the same role
// code drives a tuntcp Stream in the test process and a kernel net.Socket in
// test/tools/event-peer.mjs (run inside the test's namespace), so the recorded sequences can
// be compared line by line. Every socket is given allowHalfOpen: true by its creator.

/**
 * Record a socket's events in order: connect, ready, data (a run of 'data' noted once), end,
 * finish, timeout, drain, error:<code>, close:<had_error>; `note(text)` adds a line of the
 * scenario's own (e.g. a readyState). Same recording as test/helpers/net.ts recordEvents.
 */
export function recordEvents(socket) {
  const events = [];
  const note = (name) => {
    if (name === 'data' && events[events.length - 1] === 'data') return;
    events.push(name);
  };
  for (const name of ['connect', 'ready', 'end', 'finish', 'timeout', 'drain']) socket.on(name, () => note(name));
  socket.on('data', () => note('data'));
  socket.on('error', (error) => note(`error:${error.code ?? error.message}`));
  socket.on('close', (hadError) => note(`close:${hadError}`));
  return { events, note };
}

/** The fields of a system error that both implementations must fill the same way. */
export function errorFields(error) {
  if (!error) return null;
  const { code, errno, syscall, address, port, message } = error;
  return { code, errno, syscall, address, port, message };
}

const textOf = (chunks) => chunks.join('');

/** role(socket, note): attaches its handlers right after the socket is created (client) or accepted (server). */
export const SCENARIOS = {
  // Data both ways; the client end()s after the echo; the server end()s on the client's FIN.
  'normal-close': {
    client(socket, note) {
      socket.once('connect', () => socket.write('ping'));
      socket.once('data', () => {
        socket.end();
        note(`state:${socket.readyState}`);
      });
    },
    server(socket, note) {
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('end', () => {
        note(`state:${socket.readyState}`);
        socket.end();
      });
    },
  },
  // The server sends and half-closes at once; the client, half-open, still writes, then ends.
  'peer-half-close': {
    client(socket, note) {
      socket.on('end', () => {
        note(`state:${socket.readyState}`);
        socket.end('late');
      });
    },
    server(socket, note) {
      const chunks = [];
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('end', () => note(`received:${textOf(chunks)}`));
      socket.end('hello');
    },
  },
  // Nothing listens: only a client (connected to a closed port).
  refused: {
    client() {},
    server: null,
  },
  // The server resets the connection (RST) as soon as the client's first bytes arrive.
  reset: {
    client(socket) {
      socket.once('connect', () => socket.write('x'));
    },
    server(socket) {
      socket.once('data', () => socket.resetAndDestroy());
    },
  },
  // An idle timeout fires and closes nothing; the client then destroy()s.
  timeout: {
    client(socket, note) {
      socket.setTimeout(40);
      socket.once('timeout', () =>
        setTimeout(() => {
          note(`state:${socket.readyState}`);
          socket.destroy();
        }, 60),
      );
    },
    server(socket) {
      socket.on('error', () => {});
      socket.on('end', () => socket.end());
    },
  },
  // destroy(err) right after connecting (twice: the second is ignored).
  'destroy-error': {
    client(socket) {
      socket.once('connect', () => {
        socket.destroy(Object.assign(new Error('boom'), { code: 'EBOOM' }));
        socket.destroy(new Error('second'));
      });
    },
    server(socket) {
      socket.on('error', () => {});
      socket.on('end', () => socket.end());
    },
  },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

/**
 * Run one role of a scenario on a socket just created/accepted; resolves after 'close' (plus a
 * short settle, so nothing late is missed) with the recorded events and the error, if any.
 */
export function runRole(socket, scenarioName, role) {
  const scenario = SCENARIOS[scenarioName];
  if (!scenario || !scenario[role]) throw new Error(`no ${role} role in scenario ${scenarioName}`);
  const { events, note } = recordEvents(socket);
  let error = null;
  socket.on('error', (e) => (error ??= e));
  scenario[role](socket, note);
  return new Promise((resolve) => {
    socket.once('close', () => setTimeout(() => resolve({ events, error: errorFields(error) }), 30));
  });
}
