/*
 * sensor/iocs.c: indicators of compromise in plain text, CSV or a
 * report's prose, one line at a time.
 *
 * A line is first "refanged": the defanged forms analysts write become
 * what they stand for (hxxp:// and hxxps://, [.] (.) {.} [dot] (dot),
 * [:] [://], [@] (@) [at] (at)); a value that needed this is marked
 * defanged. URLs are taken first (http, https, ftp: up to a space or a
 * quote or a byte outside printable ASCII, trailing punctuation left
 * off) and blanked; the rest is cut
 * into tokens at spaces and punctuation, and each token is tried as an
 * IPv4 or IPv6 address or CIDR (inet_pton), an e-mail address, an MD5,
 * SHA-1 or SHA-256 hash (hex of exactly that length), a CVE id, an
 * ATT&CK technique id (T1234, T1234.001) and a domain name (labels of
 * letters, digits and hyphens, a last label of letters that is not a
 * file extension such as exe or pdf). Never allocates more than a copy of
 * the line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sensor/sensor.h"

/* The defanged forms and what they stand for, longest first per start. */
static const struct {
	const char *from, *to;
} fangs[] = {
	{ "hxxps://", "https://" }, { "hxxp://", "http://" },
	{ "hxxps[://]", "https://" }, { "hxxp[://]", "http://" },
	{ "hxxps[:]//", "https://" }, { "hxxp[:]//", "http://" },
	{ "https[:]//", "https://" }, { "http[:]//", "http://" },
	{ "https[://]", "https://" }, { "http[://]", "http://" },
	{ "fxp://", "ftp://" },
	{ "[://]", "://" }, { "[:]", ":" },
	{ "[.]", "." }, { "(.)", "." }, { "{.}", "." }, { "[dot]", "." }, { "(dot)", "." },
	{ "[@]", "@" }, { "(@)", "@" }, { "[at]", "@" }, { "(at)", "@" },
};

/* Refang src into dst (room for len + 1); *changed when any form was met.
 * Returns the new length (never more than len). */
static size_t refang(const char *src, size_t len, char *dst, int *changed)
{
	size_t o = 0;

	*changed = 0;
	for (size_t i = 0; i < len;) {
		size_t k;
		unsigned char c0 = (unsigned char)src[i];
		/* every defanged form starts with one of these */
		unsigned char c1 = i + 1 < len ? (unsigned char)(src[i + 1] | 0x20) : 0;
		if (!(c0 == '[' || c0 == '(' || c0 == '{' ||
		      ((c0 | 0x20) == 'h' && (c1 == 'x' || c1 == 't')) ||
		      ((c0 | 0x20) == 'f' && c1 == 'x'))) {
			dst[o++] = src[i++];
			continue;
		}
		for (k = 0; k < sizeof(fangs) / sizeof(fangs[0]); k++) {
			size_t fl = strlen(fangs[k].from);
			if (fl <= len - i && strncasecmp(src + i, fangs[k].from, fl) == 0)
				break;
		}
		if (k < sizeof(fangs) / sizeof(fangs[0])) {
			size_t tl = strlen(fangs[k].to);
			memcpy(dst + o, fangs[k].to, tl);
			o += tl;
			i += strlen(fangs[k].from);
			*changed = 1;
			continue;
		}
		dst[o++] = src[i++];
	}
	dst[o] = '\0';
	return o;
}

/* Last labels that are file extensions far more often than domains. */
static const char *const not_tlds[] = {
	"exe", "dll", "sys", "bat", "cmd", "ps1", "vbs", "js", "jar", "hta", "lnk", "scr",
	"msi", "pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf",
	"txt", "log", "csv", "json", "xml", "yml", "yaml", "ini", "cfg", "conf", "dat",
	"bin", "tmp", "bak", "zip", "rar", "7z", "gz", "tgz", "tar", "iso", "img", "png",
	"jpg", "jpeg", "gif", "bmp", "html", "htm", "php", "asp", "aspx", "jsp", "py",
	"sh", "pl", "rb", "c", "h", "o", "so", "elf", "apk", "dmg", "db", "sql", "md",
	NULL,
};

static int hex_len(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_domain(const char *s, size_t len)
{
	size_t label = 0, n_labels = 1, last = 0;

	if (len < 4 || len > 253 || s[0] == '.' || s[len - 1] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			n_labels++;
			last = i + 1;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	if (n_labels < 2 || len - last < 2 || len - last > 24)
		return 0;
	for (size_t i = last; i < len; i++)
		if (!isalpha((unsigned char)s[i]))
			return 0; /* the TLD is letters (no version numbers) */
	for (size_t k = 0; not_tlds[k]; k++)
		if (strlen(not_tlds[k]) == len - last && strncasecmp(s + last, not_tlds[k], len - last) == 0)
			return 0;
	return 1;
}

/* An address or CIDR: the type, or SENSOR_IOC_N_TYPES. */
static enum sensor_ioc_type net_type(const char *s, size_t len)
{
	char buf[64];
	unsigned char a[16];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	int64_t p;

	if (alen == 0 || alen >= sizeof(buf))
		return SENSOR_IOC_N_TYPES;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		if (!slash)
			return SENSOR_IOC_IPV4;
		/* the prefix: one or two digits (checked before it is copied) */
		if (len - alen - 1 == 0 || len - alen - 1 > 2)
			return SENSOR_IOC_N_TYPES;
		memcpy(buf, slash + 1, len - alen - 1);
		buf[len - alen - 1] = '\0';
		return tx_parse_int64(buf, 0, 32, &p) == TX_OK ? SENSOR_IOC_NET4 : SENSOR_IOC_N_TYPES;
	}
	/* IPv6: at least two groups' worth, so that "::" or a time is none */
	if (memchr(buf, ':', alen) && alen >= 3 && inet_pton(AF_INET6, buf, a) == 1) {
		int zero = 1;
		for (int i = 0; i < 16; i++)
			zero &= a[i] == 0;
		if (zero)
			return SENSOR_IOC_N_TYPES;
		if (!slash)
			return SENSOR_IOC_IPV6;
		if (len - alen - 1 == 0 || len - alen - 1 > 3)
			return SENSOR_IOC_N_TYPES;
		memcpy(buf, slash + 1, len - alen - 1);
		buf[len - alen - 1] = '\0';
		return tx_parse_int64(buf, 0, 128, &p) == TX_OK ? SENSOR_IOC_NET6 : SENSOR_IOC_N_TYPES;
	}
	return SENSOR_IOC_N_TYPES;
}

static enum sensor_ioc_type classify(char *s, size_t *lenp)
{
	size_t len = *lenp;
	enum sensor_ioc_type t;
	char *at;

	if (len >= 13 && strncasecmp(s, "CVE-", 4) == 0 && isdigit((unsigned char)s[4])) {
		size_t i = 4;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == 8 && s[8] == '-') {
			size_t j = 9;
			while (j < len && isdigit((unsigned char)s[j]))
				j++;
			if (j == len && len - 9 >= 4 && len - 9 <= 7) {
				s[0] = 'C', s[1] = 'V', s[2] = 'E';
				return SENSOR_IOC_CVE;
			}
		}
	}
	if ((len == 5 || len == 9) && (s[0] == 'T' || s[0] == 't') && hex_len(s + 1, 4) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
	    (len == 5 || (s[5] == '.' && isdigit((unsigned char)s[6]) &&
			  isdigit((unsigned char)s[7]) && isdigit((unsigned char)s[8])))) {
		s[0] = 'T';
		return SENSOR_IOC_ATTACK;
	}
	if ((len == 32 || len == 40 || len == 64) && hex_len(s, len)) {
		for (size_t i = 0; i < len; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		return len == 32 ? SENSOR_IOC_MD5 : len == 40 ? SENSOR_IOC_SHA1 : SENSOR_IOC_SHA256;
	}
	if ((t = net_type(s, len)) != SENSOR_IOC_N_TYPES)
		return t;
	/* an address with a port: the address */
	const char *colon = memchr(s, ':', len);
	if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) &&
	    net_type(s, (size_t)(colon - s)) == SENSOR_IOC_IPV4) {
		*lenp = (size_t)(colon - s);
		return SENSOR_IOC_IPV4;
	}
	if ((at = memchr(s, '@', len)) != NULL && at > s &&
	    is_domain(at + 1, len - (size_t)(at + 1 - s))) {
		for (char *p = s; p < at; p++)
			if (!(isalnum((unsigned char)*p) || strchr("._%+-", *p)))
				return SENSOR_IOC_N_TYPES;
		for (size_t i = 0; i < len; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		return SENSOR_IOC_EMAIL;
	}
	if (is_domain(s, len)) {
		for (size_t i = 0; i < len; i++)
			s[i] = (char)tolower((unsigned char)s[i]);
		return SENSOR_IOC_DOMAIN;
	}
	return SENSOR_IOC_N_TYPES;
}

static int is_sep(unsigned char c)
{
	static const char seps[] = ",;\"'<>()[]{}|=`";

	if (c > '`' && c < '{')
		return 0; /* lower-case letters: the common case */
	return isspace(c) || c == '\0' || memchr(seps, c, sizeof(seps) - 1) != NULL;
}

tx_err sensor_iocs_scan(const char *line, size_t len, sensor_ioc_fn fn, void *ctx,
			size_t *n_found)
{
	char stack[4096], *buf = len < sizeof(stack) ? stack : malloc(len + 1);
	size_t n;
	int defanged;
	tx_err rc = TX_OK;

	*n_found = 0;
	if (buf == NULL)
		return TX_ERR_NOMEM;
	n = refang(line, len, buf, &defanged);
	/* URLs first: they hold dots, slashes and names of their own */
	for (size_t i = 0; i < n; i++) {
		size_t sl = 0;
		if (((buf[i] | 0x20) != 'h' && (buf[i] | 0x20) != 'f') || i + 6 > n ||
		    ((buf[i + 1] | 0x20) != 't'))
			continue;
		if (strncasecmp(buf + i, "http://", 7) == 0)
			sl = 7;
		else if (strncasecmp(buf + i, "https://", 8) == 0)
			sl = 8;
		else if (strncasecmp(buf + i, "ftp://", 6) == 0)
			sl = 6;
		if (sl == 0 || (i > 0 && isalnum((unsigned char)buf[i - 1])))
			continue;
		size_t e = i + sl;
		/* printable ASCII only: a URL is written so (punycode, %-escapes) */
		while (e < n && (unsigned char)buf[e] > 0x20 && (unsigned char)buf[e] < 0x7f &&
		       !strchr("\"'<>`|", buf[e]))
			e++;
		while (e > i + sl && strchr(".,;:!?)]}", buf[e - 1]))
			e--;
		if (e - i > sl && e - i <= SENSOR_IOC_VALUE_MAX && buf[i + sl] != '/') {
			struct sensor_ioc ioc = { SENSOR_IOC_URL, buf + i, e - i, defanged };
			/* the scheme and host in lower case, the path as it is */
			for (size_t k = i; k < e && buf[k] != '/' ; k++)
				buf[k] = (char)tolower((unsigned char)buf[k]);
			for (size_t k = i + sl; k < e && buf[k] != '/' && buf[k] != '?'; k++)
				buf[k] = (char)tolower((unsigned char)buf[k]);
			if (fn(ctx, &ioc) != 0) {
				rc = TX_ERR_NOMEM;
				goto out;
			}
			(*n_found)++;
		}
		memset(buf + i, ' ', e - i);
		i = e;
	}
	for (size_t i = 0; i < n;) {
		while (i < n && is_sep((unsigned char)buf[i]))
			i++;
		size_t s = i;
		while (i < n && !is_sep((unsigned char)buf[i]))
			i++;
		size_t tl = i - s;
		/* sentence punctuation after a value is not part of it */
		while (tl > 0 && strchr(".:!?", buf[s + tl - 1]))
			tl--;
		if (tl == 0 || tl > SENSOR_IOC_VALUE_MAX)
			continue;
		enum sensor_ioc_type t = classify(buf + s, &tl);
		if (t == SENSOR_IOC_N_TYPES)
			continue;
		struct sensor_ioc ioc = { t, buf + s, tl, defanged };
		if (fn(ctx, &ioc) != 0) {
			rc = TX_ERR_NOMEM;
			goto out;
		}
		(*n_found)++;
	}
out:
	if (buf != stack)
		free(buf);
	return rc;
}

tx_err sensor_ioc_pattern(const struct sensor_ioc *ioc, struct tx_buf *out)
{
	static const char *const paths[] = {
		[SENSOR_IOC_IPV4] = "ipv4-addr:value", [SENSOR_IOC_IPV6] = "ipv6-addr:value",
		[SENSOR_IOC_NET4] = "ipv4-addr:value", [SENSOR_IOC_NET6] = "ipv6-addr:value",
		[SENSOR_IOC_DOMAIN] = "domain-name:value", [SENSOR_IOC_URL] = "url:value",
		[SENSOR_IOC_EMAIL] = "email-addr:value", [SENSOR_IOC_MD5] = "file:hashes.MD5",
		[SENSOR_IOC_SHA1] = "file:hashes.'SHA-1'",
		[SENSOR_IOC_SHA256] = "file:hashes.'SHA-256'", [SENSOR_IOC_FILENAME] = "file:name",
	};
	tx_err rc;

	if (ioc->type >= SENSOR_IOC_CVE)
		return TX_ERR_INVALID;
	if ((rc = tx_buf_printf(out, "[%s = '", paths[ioc->type])) != TX_OK)
		return rc;
	for (size_t i = 0; i < ioc->len && rc == TX_OK; i++)
		rc = ioc->value[i] == '\'' || ioc->value[i] == '\\'
		     ? tx_buf_printf(out, "\\%c", ioc->value[i])
		     : tx_buf_append(out, &ioc->value[i], 1);
	return rc == TX_OK ? tx_buf_puts(out, "']") : rc;
}
