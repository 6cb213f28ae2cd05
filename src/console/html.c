/*
 * console/html.c: the one HTML escaping function and the page writer.
 *
 * Every value that reaches a page goes through console_html_escape: the
 * writer's format (console_html_put) escapes each %s argument, percent-encodes
 * each %u one (for a URL's query or path), and writes only the format's
 * own text as it is. So a page's markup is the literal text of this
 * module's formats, and nothing from an object, a user or a partner can
 * open a tag, an attribute or a script.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console/internal.h"

tx_err console_html_escape(struct tx_buf *b, const char *s, size_t len)
{
	size_t start = 0;
	tx_err rc = TX_OK;

	for (size_t i = 0; i < len && rc == TX_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *ent = NULL;

		switch (c) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '`': ent = "&#96;"; break;
		default:
			/* Control bytes (but tab and newline) and NUL are shown
			 * as U+FFFD: nothing invisible reaches a page. */
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				ent = "\xef\xbf\xbd";
		}
		if (ent == NULL)
			continue;
		if (i > start)
			rc = tx_buf_append(b, s + start, i - start);
		if (rc == TX_OK)
			rc = tx_buf_puts(b, ent);
		start = i + 1;
	}
	if (rc == TX_OK && len > start)
		rc = tx_buf_append(b, s + start, len - start);
	return rc;
}

/* Percent-encode s for a URL path segment or query value. */
static tx_err url_escape(struct tx_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	tx_err rc = TX_OK;

	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			rc = tx_buf_append(b, p, 1);
		else
			rc = tx_buf_append(b, e, 3);
	}
	return rc;
}

/*
 * Append fmt to the page: its own text as it is, and for each
 *   %s  a string, HTML-escaped (NULL: nothing)
 *   %u  a string, percent-encoded (for hrefs)
 *   %d  an int;  %l  an int64_t
 *   %L  a label (enum console_label) in the page's language, escaped
 *   %%  a per cent sign.
 * Errors (a page past its cap) stick in p->rc; the page is then refused.
 */
void console_html_put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	const char *s, *start = fmt;

	if (p->rc != TX_OK)
		return;
	va_start(ap, fmt);
	for (s = fmt; *s && p->rc == TX_OK; s++) {
		if (*s != '%')
			continue;
		if (s > start)
			p->rc = tx_buf_append(&p->b, start, (size_t)(s - start));
		if (p->rc != TX_OK)
			break;
		switch (*++s) {
		case 's': {
			const char *v = va_arg(ap, const char *);
			if (v)
				p->rc = console_html_escape(&p->b, v, strlen(v));
			break;
		}
		case 'u': {
			const char *v = va_arg(ap, const char *);
			if (v)
				p->rc = url_escape(&p->b, v);
			break;
		}
		case 'd':
			p->rc = tx_buf_printf(&p->b, "%d", va_arg(ap, int));
			break;
		case 'l':
			p->rc = tx_buf_printf(&p->b, "%lld",
					      (long long)va_arg(ap, int64_t));
			break;
		case 'L': {
			const char *v = console_label(p->lang, va_arg(ap, int));
			p->rc = console_html_escape(&p->b, v, strlen(v));
			break;
		}
		case '%':
			p->rc = tx_buf_puts(&p->b, "%");
			break;
		default:
			/* a format of this module is wrong: fail loudly */
			p->rc = TX_ERR_INTERNAL;
			break;
		}
		start = s + 1;
		if (*s == '\0')
			break;
	}
	if (p->rc == TX_OK && *start && s > start)
		p->rc = tx_buf_append(&p->b, start, (size_t)(s - start));
	va_end(ap);
}

/* A time (us) as <time> in UTC; the script adds the user's zone. */
void console_html_time(struct page *p, int64_t us)
{
	char t[TX_TIME_BUF];

	if (us <= 0) {
		console_html_put(p, "-");
		return;
	}
	tx_time_format(us, t);
	console_html_put(p, "<time datetime=\"%s\">%s</time>", t, t);
}

static const char *const tlp_class[] = { "clear", "green", "amber",
					 "amber-strict", "red", "unmarked" };

void console_html_tlp(struct page *p, int tlp)
{
	const char *cls = tlp >= 0 && tlp <= FED_TLP_UNMARKED ? tlp_class[tlp] :
			  "red";

	console_html_put(p, "<span class=\"tlp tlp-%s\">TLP:%s</span>", cls,
		 fed_tlp_name((enum fed_tlp)tlp));
}
