/* core/error.c: error values and their messages. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

tx_err tx_error_set(struct tx_error *err, tx_err code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void tx_error_prefix(struct tx_error *err, const char *fmt, ...)
{
	char prefix[TX_ERROR_MSG_MAX];
	char old[TX_ERROR_MSG_MAX];
	char both[2 * TX_ERROR_MSG_MAX + 4];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(both, sizeof(both), "%s: %s", prefix, old);
	snprintf(err->msg, sizeof(err->msg), "%.*s", TX_ERROR_MSG_MAX - 1, both);
}

const char *tx_err_str(tx_err code)
{
	switch (code) {
	case TX_OK: return "ok";
	case TX_ERR_INVALID: return "invalid input";
	case TX_ERR_NOMEM: return "out of memory";
	case TX_ERR_IO: return "input/output error";
	case TX_ERR_NOTFOUND: return "not found";
	case TX_ERR_EXISTS: return "already exists";
	case TX_ERR_DENIED: return "permission denied";
	case TX_ERR_AUTH: return "authentication required";
	case TX_ERR_TOOBIG: return "too large";
	case TX_ERR_DB: return "database error";
	case TX_ERR_CRYPTO: return "cryptographic error";
	case TX_ERR_INTERNAL: return "internal error";
	case TX_ERR_UNAVAILABLE: return "unavailable";
	}
	return "unknown error";
}

int tx_err_transient(tx_err code)
{
	return code == TX_ERR_NOMEM || code == TX_ERR_DB || code == TX_ERR_IO ||
	       code == TX_ERR_INTERNAL || code == TX_ERR_UNAVAILABLE;
}
