// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * auth.c - what pam_mnguard does in each PAM phase (see module.h).
 *
 * MUST: every path that does not end in a verified assertion with an
 *       accepted counter returns a negative errno; -ENOENT (no credential
 *       line for the user) is the only one nouserok may turn into
 *       PAM_IGNORE, and only when the credential file itself was fine.
 * MUST: configuration, credential and counter files are read as trusted
 *       files; nothing is taken from the environment (a PAM module
 *       inherits its caller's).
 * MUST: the PIN is wiped (explicit_bzero) on every path and never logged;
 *       a conversation that gives no PIN denies, with no fallback to a
 *       touch-only login.
 * MUST: a counter that does not increase denies and is logged and reported
 *       to the agent as a suspected clone.
 * MUST: the temporary access pass (login_pass) is the only key-less path:
 *       it succeeds only when the agent answered ok to login-pass (the agent
 *       verified the token or phone response, took one use and audited a
 *       key-less login); an unreachable agent or any other answer denies,
 *       and the pasted token, response and ticket are wiped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <libintl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "counter.h"
#include "file.h"
#include "ipc_client.h"
#include "module.h"

#define _(s) dgettext("mnguard", s)
#define N_(s) s

#define GROUPS_MAX 1024
#define KEYDEV_DATA "mnguard-key-device" /* pam_set_data: the key of this login */

static void bind_domain(void)
{
	/* LOCALEDIR is the install prefix, fixed at build time */
	(void)bindtextdomain("mnguard", LOCALEDIR);
	(void)bind_textdomain_codeset("mnguard", "UTF-8");
}

/* Show msg (translated) to the user unless PAM_SILENT was asked; best effort. */
static void say(pam_handle_t *pamh, const struct mng_pam_args *args, int style, const char *msg)
{
	if (!args->silent)
		(void)pam_prompt(pamh, style, NULL, "%s", _(msg));
}

int mng_pam_parse_args(pam_handle_t *pamh, int argc, const char **argv, struct mng_pam_args *ret)
{
	struct mng_pam_args a = {.config = MNG_CONFIG_PATH};
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "config=", 7) && argv[i][7] == '/')
			a.config = argv[i] + 7;
		else if (!strcmp(argv[i], "nouserok"))
			a.nouserok = true;
		else if (!strcmp(argv[i], "debug"))
			a.debug = true;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown or bad module argument \"%s\"", argv[i]);
			return -EINVAL;
		}
	}
	*ret = a;
	return 0;
}

static void log_diags(pam_handle_t *pamh, const struct mng_diags *d)
{
	size_t i;

	for (i = 0; i < d->n && i < 20; i++)
		pam_syslog(pamh, LOG_ERR, "%s:%u:%u: %s", d->v[i].file, d->v[i].line, d->v[i].col,
			   d->v[i].msg);
	if (mng_diags_count(d) > i)
		pam_syslog(pamh, LOG_ERR, "... %zu more problems", mng_diags_count(d) - i);
}

static int load_config(pam_handle_t *pamh, const struct mng_pam_args *args, struct mng_config *cfg)
{
	struct mng_diags d = {0};
	int r = mng_config_load(args->config, MNG_FILE_TRUSTED, cfg, &d);

	if (r < 0) {
		log_diags(pamh, &d);
		pam_syslog(pamh, LOG_ERR, "configuration \"%s\" refused", args->config);
		r = -EBADR;
	}
	mng_diags_clear(&d);
	return r;
}

/*
 * The user PAM names. *ret_valid tells whether the name is in the
 * credential file's charset; a name outside it cannot have a key, and is
 * never logged or sent anywhere.
 */
static int get_user(pam_handle_t *pamh, const char **ret, bool *ret_valid)
{
	const char *user = NULL;
	bool valid = true;
	size_t i;

	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user)
		return -EINVAL;
	if (!((user[0] >= 'a' && user[0] <= 'z') || user[0] == '_'))
		valid = false;
	for (i = 1; valid && user[i]; i++)
		if (i >= MNG_CRED_USER_MAX ||
		    !((user[i] >= 'a' && user[i] <= 'z') || (user[i] >= '0' && user[i] <= '9') ||
		      user[i] == '_' || user[i] == '.' || user[i] == '-'))
			valid = false;
	*ret = user;
	*ret_valid = valid;
	return 0;
}

static bool aaguid_allowed(const struct mng_config *cfg, const uint8_t id[16])
{
	size_t i;

	if (cfg->n_aaguid_allow == 0)
		return true;
	for (i = 0; i < cfg->n_aaguid_allow; i++)
		if (!memcmp(cfg->aaguid_allow[i], id, 16))
			return true;
	return false;
}

/* Log once (syslog LOG_AUTHPRIV through pam_syslog) and tell the agent. */
static void report(pam_handle_t *pamh, const struct mng_config *cfg, int prio, const char *event,
		   const char *user, const char *label, const char *detail)
{
	int r;

	pam_syslog(pamh, prio, "MNGUARD_EVENT=%s user=\"%s\" key=\"%s\" %s", event, user,
		   label ? label : "", detail ? detail : "");
	r = mng_ipc_auth_report(cfg->socket, event, user, label, detail);
	if (r < 0)
		pam_syslog(pamh, LOG_DEBUG, "agent not told of %s: %s", event, strerror(-r));
}

static int ask_pin(pam_handle_t *pamh, char **ret_pin)
{
	char *pin = NULL;
	size_t len;
	int r;

	r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &pin, "%s", _("Security key PIN: "));
	if (r != PAM_SUCCESS || !pin)
		return -ECANCELED;
	len = strlen(pin);
	if (len < 4 || len > MNG_PAM_PIN_MAX) {
		explicit_bzero(pin, len);
		free(pin);
		return -EACCES;
	}
	*ret_pin = pin;
	return 0;
}

/* The user's credentials that the configured AAGUID allow-list admits. */
static int select_creds(pam_handle_t *pamh, const struct mng_config *cfg,
			const struct mng_credset *set, const char *user,
			const struct mng_cred ***ret, size_t *ret_n)
{
	const struct mng_cred **v;
	size_t i, n = 0, mine = 0;

	v = calloc(set->n ? set->n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < set->n; i++) {
		if (strcmp(set->v[i].user, user))
			continue;
		mine++;
		if (aaguid_allowed(cfg, set->v[i].aaguid))
			v[n++] = &set->v[i];
		else
			report(pamh, cfg, LOG_WARNING, "login.aaguid-refused", user,
			       set->v[i].label, "enrolled AAGUID not in aaguid_allow");
	}
	if (n == 0) {
		free(v);
		return mine ? -EACCES : -ENOENT;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- the temporary access pass ---- */

#define PASS_PARTS_MAX 16 /* prompts for one token pasted in pieces */

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* s without leading and trailing blanks, in place. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/*
 * Whether text holds a whole token: "mngx1." payload "." and the 86
 * characters of an Ed25519 signature (whitespace not counted). A token
 * longer than the conversation takes (512 bytes on a text console) is
 * pasted in pieces.
 */
static bool token_complete(const char *text)
{
	const char *dot = strchr(text, '.');
	size_t sig = 0;

	dot = dot ? strchr(dot + 1, '.') : NULL;
	if (!dot)
		return false;
	for (dot++; *dot; dot++)
		if (*dot != ' ' && *dot != '\t' && *dot != '\r' && *dot != '\n')
			sig++;
	return sig >= 86;
}

/* Ask for the rest of a token pasted in pieces; returns the whole, or NULL. */
static char *token_rest(pam_handle_t *pamh, char *first)
{
	char *all = first, *more = NULL, *n;
	int i;

	for (i = 0; i < PASS_PARTS_MAX && !token_complete(all); i++) {
		if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &more, "%s",
			       _("Rest of the login token: ")) != PAM_SUCCESS ||
		    !more || !*trim(more) || strlen(all) + strlen(more) > MNG_IPC_SECRET_MAX) {
			wipe_free(more);
			wipe_free(all);
			return NULL;
		}
		n = malloc(strlen(all) + strlen(more) + 1);
		if (!n) {
			wipe_free(more);
			wipe_free(all);
			return NULL;
		}
		strcpy(n, all);
		strcat(n, trim(more));
		wipe_free(more);
		wipe_free(all);
		more = NULL;
		all = n;
	}
	if (!token_complete(all)) {
		wipe_free(all);
		return NULL;
	}
	return all;
}

/*
 * The phone path: the agent makes a request code, the user reads it to the
 * help desk and types the response and the ticket. Returns 0 or -EACCES.
 */
static int pass_phone(pam_handle_t *pamh, const struct mng_pam_args *args,
		      const struct mng_config *cfg, const char *user)
{
	char code[64] = "", *resp = NULL, *ticket = NULL;
	int r;

	r = mng_ipc_login_request(cfg->socket, user, code, sizeof(code));
	if (r < 0) {
		pam_syslog(pamh, LOG_NOTICE, "no login request code for \"%s\": %s", user,
			   strerror(-r));
		say(pamh, args, PAM_ERROR_MSG,
		    N_("A temporary access pass cannot be requested now."));
		return -EACCES;
	}
	say(pamh, args, PAM_TEXT_INFO, N_("Read this request code to the help desk:"));
	if (!args->silent)
		(void)pam_prompt(pamh, PAM_TEXT_INFO, NULL, "%s", code);
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &resp, "%s", _("Response code: ")) !=
		PAM_SUCCESS ||
	    !resp || pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &ticket, "%s", _("Ticket: ")) !=
			 PAM_SUCCESS ||
	    !ticket) {
		r = -EACCES;
		goto out;
	}
	r = mng_ipc_login_pass(cfg->socket, user, trim(resp), trim(ticket));
out:
	wipe_free(resp);
	wipe_free(ticket);
	return r < 0 ? -EACCES : 0;
}

static bool pass_offered(const struct mng_config *cfg)
{
	/* the agent answers login-request and login-pass only for root */
	return cfg->login_pass && geteuid() == 0;
}

/*
 * Offer the temporary access pass (the user has no key to use). An answer
 * that is neither a token nor empty (a PIN typed out of habit) means no
 * pass: fallback is returned, as it is when the conversation gives nothing.
 */
static int pass_login(pam_handle_t *pamh, const struct mng_pam_args *args,
		      const struct mng_config *cfg, const char *user, int fallback)
{
	char *answer = NULL, *text, *token = NULL;
	int r;

	if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &answer, "%s",
		       _("Temporary access pass (login token, or Enter for a phone code): ")) !=
		PAM_SUCCESS ||
	    !answer) {
		wipe_free(answer);
		return fallback;
	}
	text = trim(answer);
	if (!*text) {
		wipe_free(answer);
		r = pass_phone(pamh, args, cfg, user);
	} else if (!strncmp(text, "mngx1", 5)) {
		token = strdup(text);
		wipe_free(answer);
		token = token ? token_rest(pamh, token) : NULL;
		r = token ? mng_ipc_login_pass(cfg->socket, user, token, NULL) : -EACCES;
		wipe_free(token);
	} else {
		wipe_free(answer);
		return fallback;
	}
	if (r < 0) {
		pam_syslog(pamh, LOG_NOTICE, "temporary access pass for \"%s\" refused: %s", user,
			   strerror(-r));
		say(pamh, args, PAM_ERROR_MSG, N_("The temporary access pass was refused."));
		return -EACCES;
	}
	pam_syslog(pamh, LOG_NOTICE, "user \"%s\" logged in with a temporary access pass", user);
	say(pamh, args, PAM_TEXT_INFO, N_("Logged in with a temporary access pass."));
	return 0;
}

static int fido_to_errno(enum mng_fido_result r)
{
	switch (r) {
	case MNG_FIDO_OK:
		return 0;
	case MNG_FIDO_NO_DEVICE:
		return -ENODEV;
	case MNG_FIDO_TIMEOUT:
		return -ETIMEDOUT;
	default:
		return -EACCES;
	}
}

static void tell_result(pam_handle_t *pamh, const struct mng_pam_args *args, enum mng_fido_result r)
{
	static const char *const msgs[] = {
	    [MNG_FIDO_DENY] = N_("Login with the security key was refused."),
	    [MNG_FIDO_NO_DEVICE] = N_("No security key found. Insert your key and try again."),
	    [MNG_FIDO_NO_CRED] = N_("This security key is not registered for you."),
	    [MNG_FIDO_PIN_WRONG] = N_("Wrong PIN."),
	    [MNG_FIDO_PIN_BLOCKED] = N_("The security key PIN is blocked. Contact the help desk."),
	    [MNG_FIDO_PIN_NEEDED] = N_("The security key needs a PIN. Contact the help desk."),
	    [MNG_FIDO_TIMEOUT] = N_("The security key was not touched in time."),
	    [MNG_FIDO_BAD_SIGNATURE] = N_("Login with the security key was refused."),
	    [MNG_FIDO_FLAGS] = N_("Login with the security key was refused."),
	    [MNG_FIDO_ERROR] = N_("The security key did not answer correctly."),
	};

	if ((size_t)r < MNG_ARRAY_SIZE(msgs) && msgs[r] && r != MNG_FIDO_OK)
		say(pamh, args, PAM_ERROR_MSG, msgs[r]);
}

static void keydev_free(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/*
 * Remember the USB device of the key of a successful login for the session
 * that follows (lock on key removal) and name it in detail (size bytes).
 */
static void keep_key_device(pam_handle_t *pamh, const char *node, char *detail, size_t size)
{
	struct mng_pam_keydev *kd = calloc(1, sizeof(*kd));
	size_t n = strlen(detail);

	if (!kd)
		return;
	if (mng_pam_key_device(node, kd) < 0 ||
	    pam_set_data(pamh, KEYDEV_DATA, kd, keydev_free) != PAM_SUCCESS) {
		free(kd);
		return;
	}
	(void)snprintf(detail + n, size - n, "; key device port %s devnum %s", kd->port,
		       kd->devnum);
}

int mng_pam_authenticate(pam_handle_t *pamh, const struct mng_pam_args *args)
{
	struct mng_credset set = {0};
	struct mng_diags d = {0};
	struct mng_config cfg;
	struct mng_fido_request req = {0};
	struct mng_fido_outcome out = {0};
	const struct mng_cred **mine = NULL, *c;
	const char *user = NULL;
	char *pin = NULL, *id = NULL, detail[160];
	uint32_t stored = 0;
	size_t n = 0, i;
	unsigned cflags;
	bool valid;
	int r;

	bind_domain();
	/* a key remembered by an earlier attempt in this handle is forgotten */
	(void)pam_set_data(pamh, KEYDEV_DATA, NULL, NULL);
	r = get_user(pamh, &user, &valid);
	if (r < 0)
		return r;
	r = load_config(pamh, args, &cfg);
	if (r < 0)
		goto out;
	if (!cfg.rp_id[0]) {
		pam_syslog(pamh, LOG_ERR, "%s: rp_id is not set; every FIDO2 login is refused",
			   args->config);
		r = -EBADR;
		goto out;
	}
	r = mng_credset_load_for_login(cfg.credentials, MNG_FILE_TRUSTED, &set, &d);
	if (r < 0) {
		log_diags(pamh, &d);
		pam_syslog(pamh, LOG_ERR,
			   "credential file \"%s\" refused: nobody can log in with a key",
			   cfg.credentials);
		r = -EBADR;
		goto out;
	}
	if (!valid) {
		pam_syslog(pamh, LOG_NOTICE, "user name outside the credential file's charset");
		r = -ENOENT;
		goto out;
	}
	r = select_creds(pamh, &cfg, &set, user, &mine, &n);
	if (r == -ENOENT) {
		pam_syslog(pamh, LOG_NOTICE, "user \"%s\" has no security key enrolled", user);
		/* with nouserok, users without a key are left to the next module */
		if (!args->nouserok && pass_offered(&cfg))
			r = pass_login(pamh, args, &cfg, user, -ENOENT);
		goto out;
	}
	if (r < 0) {
		say(pamh, args, PAM_ERROR_MSG,
		    N_("This kind of security key is not allowed here."));
		goto out;
	}
	req.rp_id = cfg.rp_id;
	req.creds = mine;
	req.n = n;
	req.timeout_ms = (int)cfg.fido_timeout * 1000;
	req.debug = args->debug;
	req.pamh = pamh;
	for (i = 0; i < n; i++) {
		if (mine[i]->flags & MNG_CRED_F_UV) {
			r = ask_pin(pamh, &pin);
			if (r < 0) {
				report(pamh, &cfg, LOG_NOTICE, "login.deny", user, NULL,
				       r == -ECANCELED ? "no PIN given" : "PIN of a bad length");
				r = -EACCES;
				goto out;
			}
			break;
		}
	}
	req.pin = pin;
	say(pamh, args, PAM_TEXT_INFO, N_("Touch your security key"));
	r = mng_fido_assert(&req, &out);
	if (pin) {
		explicit_bzero(pin, strlen(pin));
		free(pin);
		pin = NULL;
	}
	if (r < 0)
		goto out;
	if (out.result != MNG_FIDO_OK) {
		const char *ev = out.result == MNG_FIDO_PIN_WRONG	? "login.pin-wrong"
				 : out.result == MNG_FIDO_BAD_SIGNATURE ? "login.bad-signature"
									: "login.deny";

		report(pamh, &cfg, LOG_NOTICE, ev, user, NULL, mng_fido_result_name(out.result));
		tell_result(pamh, args, out.result);
		r = fido_to_errno(out.result);
		if (out.result == MNG_FIDO_NO_DEVICE && pass_offered(&cfg))
			r = pass_login(pamh, args, &cfg, user, r);
		goto out;
	}
	c = mine[out.cred];
	r = mng_cred_id_encode(c->id, c->id_len, &id);
	if (r < 0)
		goto out;
	cflags = (c->flags & MNG_CRED_F_ZERO_OK) ? MNG_COUNTER_ZERO_OK : 0;
	/* without root (a screen locker) the counter is checked but cannot be stored */
	if (geteuid() != 0)
		cflags |= MNG_COUNTER_READ_ONLY;
	mng_diags_clear(&d);
	r = mng_counter_advance(cfg.counters, id, out.counter, cflags, &stored, NULL, &d);
	if (r == -ESTALE) {
		snprintf(detail, sizeof(detail), "signature counter %u, stored %u: suspected clone",
			 out.counter, stored);
		report(pamh, &cfg, LOG_ALERT, "login.clone-suspected", user, c->label, detail);
		say(pamh, args, PAM_ERROR_MSG,
		    N_("This security key may have been copied. Contact the help desk."));
		r = -EACCES;
		goto out;
	}
	if (r < 0) {
		log_diags(pamh, &d);
		pam_syslog(pamh, LOG_ERR, "counter file \"%s\": %s", cfg.counters, strerror(-r));
		r = -EBADR;
		goto out;
	}
	snprintf(detail, sizeof(detail), "signature counter %u", out.counter);
	keep_key_device(pamh, out.path, detail, sizeof(detail));
	report(pamh, &cfg, LOG_INFO, "login.ok", user, c->label, detail);
	r = 0;
out:
	if (pin) {
		explicit_bzero(pin, strlen(pin));
		free(pin);
	}
	free(id);
	free(mine);
	mng_credset_clear(&set);
	mng_diags_clear(&d);
	return r;
}

/* Is user (primary group gid) a member of group? 0 yes, -EPERM no. */
static int in_group(const char *user, gid_t gid, const char *group)
{
	char buf[16384];
	struct group gr, *g = NULL;
	gid_t groups[GROUPS_MAX];
	int ng = GROUPS_MAX, i;

	if (getgrnam_r(group, &gr, buf, sizeof(buf), &g) != 0 || !g)
		return -EPERM;
	if (g->gr_gid == gid)
		return 0;
	if (getgrouplist(user, gid, groups, &ng) < 0)
		return -EPERM;
	for (i = 0; i < ng; i++)
		if (groups[i] == g->gr_gid)
			return 0;
	return -EPERM;
}

int mng_pam_account(pam_handle_t *pamh, const struct mng_pam_args *args)
{
	struct mng_config cfg;
	struct passwd pw, *p = NULL;
	const char *user = NULL;
	char buf[16384];
	bool valid;
	int r;

	r = get_user(pamh, &user, &valid);
	if (r < 0)
		return r;
	if (!valid)
		return -EPERM;
	r = load_config(pamh, args, &cfg);
	if (r < 0)
		return r;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &p) != 0 || !p)
		return -EPERM;
	r = in_group(user, p->pw_gid, cfg.login_group);
	if (r < 0)
		pam_syslog(pamh, LOG_NOTICE, "user \"%s\" is not in group \"%s\"", user,
			   cfg.login_group);
	return r;
}

int mng_pam_session(pam_handle_t *pamh, const struct mng_pam_args *args, bool open)
{
	struct mng_config cfg;
	const void *tty = NULL, *service = NULL;
	const char *user = NULL, *seat;
	bool valid;
	int r;

	if (get_user(pamh, &user, &valid) < 0 || !valid)
		return 0;
	if (load_config(pamh, args, &cfg) < 0)
		mng_config_defaults(&cfg);
	(void)pam_get_item(pamh, PAM_TTY, &tty);
	(void)pam_get_item(pamh, PAM_SERVICE, &service);
	seat = pam_getenv(pamh, "XDG_SEAT");
	if (open && geteuid() == 0) {
		/* root only: the agent binds the session to the key of its login */
		struct mng_ipc_session_extra x = {.session = pam_getenv(pamh, "XDG_SESSION_ID")};
		const void *data = NULL;

		if (pam_get_data(pamh, KEYDEV_DATA, &data) == PAM_SUCCESS && data) {
			const struct mng_pam_keydev *kd = data;

			x.key_port = kd->port;
			x.key_devnum = kd->devnum;
			x.key_serial = kd->serial;
		}
		r = mng_ipc_session_notify_extra(cfg.socket, user, seat, tty, service, &x);
		if (r == -EINVAL) /* an XDG_SESSION_ID out of its charset: the session alone */
			r = mng_ipc_session_notify(cfg.socket, open, user, seat, tty, service);
	} else {
		r = mng_ipc_session_notify(cfg.socket, open, user, seat, tty, service);
	}
	if (r < 0 && args->debug)
		pam_syslog(pamh, LOG_DEBUG, "agent not told of the session: %s", strerror(-r));
	return 0;
}
