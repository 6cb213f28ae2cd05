/*
 * fuzz/fuzz_iocs.c: the IOC extractor (sensor/iocs.c).
 *
 * Any input is scanned line by line; every value found must be non-empty,
 * no longer than its line, free of line breaks, and (for an observable)
 * give a pattern that the STIX pattern parser accepts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern/pattern.h"
#include "sensor/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	size_t line_len;
};

static int check(void *vctx, const struct sensor_ioc *ioc)
{
	struct ctx *c = vctx;
	struct tx_error err;
	struct tx_buf b;

	if (ioc->len == 0 || ioc->len > c->line_len || memchr(ioc->value, '\n', ioc->len))
		abort();
	if (ioc->type >= SENSOR_IOC_CVE)
		return 0;
	tx_buf_init(&b, PATTERN_MAX_LEN);
	if (sensor_ioc_pattern(ioc, &b) == TX_OK &&
	    pattern_validate(b.data, b.len, &err) != TX_OK)
		abort(); /* the pattern made of a value must parse */
	tx_buf_free(&b);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), n = 0;
		struct ctx c = { len };
		sensor_iocs_scan(p, len, check, &c, &n);
		p += len + 1;
	}
	return 0;
}
