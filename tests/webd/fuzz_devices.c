/*
 * libFuzzer target: webd's device registry file (webd/devices.c) and the
 * vendor table's parser (webd/oui.c) on hostile bytes. A file that loads
 * must give a registry that saves and loads again to the same bytes,
 * sorted and within its bound; the vendor table must stay sorted and
 * every name it gives must be a valid JSON string. Anything else aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "oui.h"

#define NOW	1800000000000ULL

static struct devices	 t, u;

static void
check_registry(void)
{
	uint8_t		*a, *b;
	size_t		 len;
	int		 i;

	if (t.n < 0 || t.n > DEVICES_MAX)
		abort();
	for (i = 1; i < t.n; i++)
		if (memcmp(t.d[i - 1].mac, t.d[i].mac, 6) >= 0)
			abort();
	len = devices_save_size(&t);
	if ((a = malloc(len)) == NULL || (b = malloc(len)) == NULL)
		abort();
	devices_save(&t, a, NOW);
	devices_init(&u);
	if (devices_load(&u, a, len, NOW) != 0 || u.n != t.n ||
	    u.st.load_bad != 0 || devices_save_size(&u) != len)
		abort();
	devices_save(&u, b, NOW);
	if (memcmp(a, b, len) != 0)
		abort();
	for (i = 0; i < t.n; i++) {
		json_t *o = devices_json(&t.d[i], NULL, NOW);

		if (o == NULL || json_is_null(json_object_get(o, "name")) ||
		    json_string_value(json_object_get(o, "hostname")) == NULL)
			abort();
		json_decref(o);
	}
	free(a);
	free(b);
}

static void
check_oui(const uint8_t *data, size_t len)
{
	struct oui	 o;
	uint8_t		 mac[6] = { 0 };
	const char	*v;
	json_t		*s;
	size_t		 i;

	if (oui_load(&o, (const char *)data, len) < 0)
		return;
	for (i = 0; i < o.n; i++) {
		if (i > 0 && o.prefix[i - 1] >= o.prefix[i])
			abort();
		mac[0] = (uint8_t)(o.prefix[i] >> 16);
		mac[1] = (uint8_t)(o.prefix[i] >> 8);
		mac[2] = (uint8_t)o.prefix[i];
		if ((v = oui_vendor(&o, mac)) == NULL ||
		    (s = json_string(v)) == NULL)
			abort();
		json_decref(s);
	}
	oui_free(&o);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	devices_init(&t);
	if (devices_load(&t, data, len, NOW) == 0)
		check_registry();
	check_oui(data, len);
	return 0;
}
