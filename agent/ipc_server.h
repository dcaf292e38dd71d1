/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ipc_server.h - mnguardd's side of the agent socket (protocol: lib/ipc.h).
 *
 * MUST: every request is authorized from SO_PEERCRED/SO_PEERGROUPS before it
 *       is acted on: changes need uid 0 or group mnguard-admin; anyone may
 *       read. Unknown, malformed, oversized or unauthorized requests get an
 *       error reply and change nothing; no input crashes or blocks the agent.
 */
#ifndef MNG_AGENT_IPC_SERVER_H
#define MNG_AGENT_IPC_SERVER_H

#include <sys/types.h>

#include "agent.h"
#include "loop.h"

struct ipc_server;

/*
 * ipc_server_new - bind a SOCK_SEQPACKET socket at path (an old socket file
 * there is replaced; a non-socket is refused), mode 0666, and register it
 * with loop. Returns 0 or -errno.
 */
int ipc_server_new(struct agent *a, struct loop *l, const char *path, struct ipc_server **ret);

/* ipc_server_broadcast - send an event message (a JSON object text) to every watcher. */
void ipc_server_broadcast(struct ipc_server *s, const char *event_json);

/*
 * ipc_server_send_user - send an event message to the session-watch
 * connections of uid only (mnguard-session(1)); one that does not read is
 * dropped.
 */
void ipc_server_send_user(struct ipc_server *s, uid_t uid, const char *event_json);

/* ipc_server_free - close every connection and the socket, unlink the path. */
void ipc_server_free(struct ipc_server **s);

#endif
