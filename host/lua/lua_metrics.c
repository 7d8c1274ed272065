/* lua_metrics.c — require "pktlua.metrics": maps as Prometheus metrics.
 *
 *   metrics.counter(name, help, map | fn [, opts])   opts: labels, decode, value
 *   metrics.gauge(name, help, map | fn [, opts])
 *   metrics.histogram(name, help, map [, opts])      opts: labels, decode, bucket,
 *                                                    min, max, step (linear), scale
 *   metrics.remove(name)
 *   metrics.text(["text" | "openmetrics"])           the exposition now, as a string
 *   srv = metrics.serve([addr | {addr=, timeout=, prog_stats=}])
 *       srv.address, srv.port, srv:close()
 *
 * The families, the exposition and the server are plain C (metrics/); this
 * file converts options, calls Lua functions (sources, decoders) at scrape
 * time, and writes pktlua's own metrics that need the run's Programs. */
#include "lua/lua_metrics.h"

#include "base/log.h"
#include "events/loop.h"
#include "lua/lua_events.h"
#include "lua/lua_map.h"
#include "lua/lua_program.h"
#include "lua/lua_state.h"
#include "metrics/registry.h"
#include "metrics/server.h"

#include <lauxlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METRICS_KEY "pktlua.metrics"          /* registry: the struct lua_metrics */
#define SERVER_MT "pktlua.MetricsServer"
#define MAX_LABELS 64

struct lua_metrics;

/* A Lua function that decodes one label. */
struct fn_decoder {
	struct lua_metrics *lm;
	int fn_ref;
	char label[128];
};

/* What the binding keeps for one family. */
struct family {
	struct lua_metrics *lm;
	char *name;
	struct pl_lua_program *owner;   /* map sources: the Program, or NULL */
	int source_ref;                  /* the Map (pinning its Program) or the function */
	struct fn_decoder *decoders;
	int ndecoders;
	struct family *next;
};

struct lua_metrics {
	struct pl_metrics *reg;
	struct pl_metrics_server *srv;
	bool srv_from_cli;               /* --metrics: a script's serve() takes it */
	lua_State *const *thread;        /* where loop callbacks run */
	lua_State *L;                    /* where this scrape's Lua calls run */
	bool raise;                      /* metrics.text(): errors raise, not stop the loop */
	struct family *fams;
	int stats_fd;                    /* BPF_ENABLE_STATS, or -1 */
};

struct lserver {
	struct lua_metrics *lm;
};

/* ---- state ------------------------------------------------------------------------ */

static void family_free(lua_State *L, struct family *f)
{
	luaL_unref(L, LUA_REGISTRYINDEX, f->source_ref);
	for (int i = 0; i < f->ndecoders; i++)
		luaL_unref(L, LUA_REGISTRYINDEX, f->decoders[i].fn_ref);
	free(f->decoders);
	free(f->name);
	free(f);
}

static int metrics_gc(lua_State *L)
{
	struct lua_metrics *lm = lua_touserdata(L, 1);

	pl_metrics_server__free(lm->srv);
	lm->srv = NULL;
	pl_metrics__free(lm->reg);
	lm->reg = NULL;
	while (lm->fams) {
		struct family *f = lm->fams;
		lm->fams = f->next;
		free(f->decoders);
		free(f->name);
		free(f);
	}
	if (lm->stats_fd >= 0)
		close(lm->stats_fd);
	lm->stats_fd = -1;
	return 0;
}

static int write_own(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out,
		     struct pl_mbuf *err);

static struct lua_metrics *get_metrics(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, METRICS_KEY) == LUA_TUSERDATA) {
		struct lua_metrics *lm = lua_touserdata(L, -1);
		lua_pop(L, 1);
		return lm;
	}
	lua_pop(L, 1);
	/* The loop first: its state is then finalized after ours at lua_close
	 * (reverse order of creation), so the server leaves a live loop. */
	(void)pl_lua_loop(L);
	struct lua_metrics *lm = lua_newuserdatauv(L, sizeof(*lm), 0); /* lm */
	memset(lm, 0, sizeof(*lm));
	lm->stats_fd = -1;
	lm->thread = pl_lua_callback_thread(L);
	lua_newtable(L);
	lua_pushcfunction(L, metrics_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, METRICS_KEY);
	lm->reg = pl_metrics__new();
	if (!lm->reg)
		luaL_error(L, "pktlua.metrics: out of memory");
	pl_metrics__set_extra(lm->reg, write_own, lm);
	return lm;
}

/* Families whose Program was closed read nothing any more: drop them. */
static void drop_closed(lua_State *L, struct lua_metrics *lm)
{
	for (struct family **pp = &lm->fams; *pp;) {
		struct family *f = *pp;
		if (f->owner && !f->owner->obj) {
			pl_log(PL_LOG_INFO, "metrics: '%s' removed: its Program was closed", f->name);
			pl_metrics__remove(lm->reg, f->name);
			*pp = f->next;
			family_free(L, f);
		} else {
			pp = &f->next;
		}
	}
}

/* A Lua callback failed during a scrape: message (on L's stack) into ERR,
 * and either left for metrics.text() to raise, or the loop stops with it as
 * with any callback (bpf.run() raises it). */
static void lua_failed(struct lua_metrics *lm, lua_State *L, struct pl_mbuf *err)
{
	const char *msg = lua_tostring(L, -1);

	pl_mbuf__puts(err, msg ? msg : "(error object is not a string)");
	if (lm->raise)
		lua_pop(L, 1);
	else
		pl_lua_callback_failed(L);                 /* pops the message */
}

/* ---- Lua callbacks at scrape time --------------------------------------------------- */

static int call_source(void *ctx, struct pl_mval *v, struct pl_mbuf *err)
{
	struct family *f = ctx;
	struct lua_metrics *lm = f->lm;
	lua_State *L = lm->L;
	int rc = 0;

	lua_rawgeti(L, LUA_REGISTRYINDEX, f->source_ref);  /* fn */
	if (pl_lua_docall(L, 0, 1) != LUA_OK) {
		lua_failed(lm, L, err);
		return -EIO;
	}
	if (lua_isnil(L, -1)) {
		rc = 1;                                    /* no sample now */
	} else if (lua_isinteger(L, -1)) {
		*v = (struct pl_mval){ .kind = PL_MVAL_I64, .i = lua_tointeger(L, -1) };
	} else if (lua_type(L, -1) == LUA_TNUMBER) {
		*v = (struct pl_mval){ .kind = PL_MVAL_F64, .f = lua_tonumber(L, -1) };
	} else if (lua_isboolean(L, -1)) {
		*v = (struct pl_mval){ .kind = PL_MVAL_I64, .i = lua_toboolean(L, -1) };
	} else {
		pl_mbuf__printf(err, "its function returned a %s, not a number",
				luaL_typename(L, -1));
		rc = -EINVAL;
	}
	lua_pop(L, 1);
	return rc;
}

static void push_field(lua_State *L, enum pl_mfield_kind kind, const void *p, uint32_t size)
{
	switch (kind) {
	case PL_MFIELD_UINT:
	case PL_MFIELD_INT:
		lua_pushinteger(L, (lua_Integer)pl_mfield__u64(p, size, 0, 0,
							     kind == PL_MFIELD_INT));
		break;
	case PL_MFIELD_BOOL:
		lua_pushboolean(L, pl_mfield__u64(p, size, 0, 0, false) != 0);
		break;
	case PL_MFIELD_FLOAT:
		lua_pushnumber(L, pl_mfield__f64(p, size));
		break;
	case PL_MFIELD_CHARS:
		lua_pushlstring(L, p, strnlen(p, size));
		break;
	default:
		lua_pushlstring(L, p, size);
		break;
	}
}

static int call_decoder(void *ctx, enum pl_mfield_kind kind, const void *field, uint32_t size,
			struct pl_mbuf *out)
{
	struct fn_decoder *d = ctx;
	struct lua_metrics *lm = d->lm;
	lua_State *L = lm->L;
	size_t len;

	lua_rawgeti(L, LUA_REGISTRYINDEX, d->fn_ref);      /* fn */
	push_field(L, kind, field, size);                  /* fn value */
	if (pl_lua_docall(L, 1, 1) != LUA_OK) {
		lua_failed(lm, L, out);
		return -EIO;
	}
	int t = lua_type(L, -1);
	const char *s = t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tolstring(L, -1, &len) : NULL;
	if (s)
		pl_mbuf__add(out, s, len);
	else
		pl_mbuf__printf(out, "the function returned a %s, not a string",
				luaL_typename(L, -1));
	lua_pop(L, 1);
	return s ? 0 : -EINVAL;
}

/* pktlua's own metrics that need the run's Programs: FN for each open one. */
static void each_program(lua_State *L, void (*fn)(lua_State *L, struct pl_lua_program *p,
						  void *arg), void *arg)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, PL_PROGRAMS_KEY) == LUA_TTABLE) { /* programs */
		lua_pushnil(L);
		while (lua_next(L, -2)) {                  /* programs P true */
			struct pl_lua_program *p = lua_touserdata(L, -2);
			lua_pop(L, 1);
			if (p && p->obj)
				fn(L, p, arg);
		}
	}
	lua_pop(L, 1);
}

struct lost_ctx {
	struct pl_series_set *set;
	struct pl_mbuf labels;
};

static void add_lost(lua_State *L, struct pl_lua_program *p, void *arg)
{
	struct lost_ctx *c = arg;
	struct bpf_map *map;

	bpf_object__for_each_map(map, p->obj) {
		enum bpf_map_type t = bpf_map__type(map);
		if (t != BPF_MAP_TYPE_RINGBUF && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		pl_mbuf__reset(&c->labels);
		pl_expo__label(&c->labels, "program", p->name, strlen(p->name));
		pl_expo__label(&c->labels, "map", bpf_map__name(map), strlen(bpf_map__name(map)));
		struct pl_series *se = c->labels.failed ? NULL
			: pl_series_set__get(c->set, c->labels.data, c->labels.len);
		if (se)
			se->value = pl_mval__add(se->value, (struct pl_mval){
				.kind = PL_MVAL_U64,
				.u = pl_lua_events_lost(L, p, map) });
	}
}

static void write_lost(lua_State *L, struct pl_mbuf *out, struct pl_series_set *set)
{
	struct lost_ctx c = { .set = set };

	pl_series_set__begin(set, 0);
	each_program(L, add_lost, &c);
	for (uint32_t i = 0; i < set->count; i++)
		pl_expo__sample(out, "pktlua_events_lost_total",
				pl_series_set__labels(set, &set->series[i]),
				set->series[i].labels_len, set->series[i].value);
	pl_mbuf__free(&c.labels);
}

struct stats_ctx {
	struct pl_mbuf runs, secs, labels;
};

static void add_prog_stats(lua_State *L, struct pl_lua_program *p, void *arg)
{
	struct stats_ctx *c = arg;
	struct bpf_program *prog;

	(void)L;
	bpf_object__for_each_program(prog, p->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);
		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		pl_mbuf__reset(&c->labels);
		pl_expo__label(&c->labels, "program", p->name, strlen(p->name));
		pl_expo__label(&c->labels, "prog", bpf_program__name(prog),
			       strlen(bpf_program__name(prog)));
		pl_expo__sample(&c->runs, "pktlua_prog_run_total", c->labels.data, c->labels.len,
				(struct pl_mval){ .kind = PL_MVAL_U64, .u = info.run_cnt });
		pl_expo__sample(&c->secs, "pktlua_prog_run_seconds_total", c->labels.data,
				c->labels.len, (struct pl_mval){ .kind = PL_MVAL_F64,
								 .f = info.run_time_ns / 1e9 });
	}
}

static void write_prog_stats(lua_State *L, struct pl_mbuf *out, enum pl_expo_format fmt)
{
	struct stats_ctx c = { 0 };

	each_program(L, add_prog_stats, &c);
	pl_expo__family(out, fmt, "pktlua_prog_run_total",
			"Runs of each BPF program (kernel.bpf_stats_enabled, on while pktlua serves).",
			PL_METRIC_COUNTER);
	pl_mbuf__add(out, c.runs.data, c.runs.len);
	pl_expo__family(out, fmt, "pktlua_prog_run_seconds_total",
			"Time each BPF program ran, in seconds (kernel.bpf_stats_enabled).",
			PL_METRIC_COUNTER);
	pl_mbuf__add(out, c.secs.data, c.secs.len);
	pl_mbuf__free(&c.runs);
	pl_mbuf__free(&c.secs);
	pl_mbuf__free(&c.labels);
}

static int write_own(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out,
		     struct pl_mbuf *err)
{
	struct lua_metrics *lm = ctx;
	struct pl_series_set set = { 0 };

	(void)err;
	pl_expo__family(out, fmt, "pktlua_events_lost_total",
			"Records dropped on each ring or perf buffer (bpf.lost).",
			PL_METRIC_COUNTER);
	write_lost(lm->L, out, &set);
	pl_series_set__free(&set);
	if (lm->stats_fd >= 0)
		write_prog_stats(lm->L, out, fmt);
	return 0;
}

/* The server's render: on the loop, Lua runs on the loop's callback thread. */
static int render(void *ctx, enum pl_expo_format fmt, struct pl_mbuf *out)
{
	struct lua_metrics *lm = ctx;

	lm->L = *lm->thread;
	lm->raise = false;
	drop_closed(lm->L, lm);
	return pl_metrics__render(lm->reg, fmt, out);
}

/* ---- registering ------------------------------------------------------------------ */

static const char *const type_names[] = {
	[PL_METRIC_COUNTER] = "counter",
	[PL_METRIC_GAUGE] = "gauge",
	[PL_METRIC_HISTOGRAM] = "histogram",
};

static const char *opt_string(lua_State *L, int opts, const char *key, const char *fn)
{
	const char *s = NULL;

	if (lua_getfield(L, opts, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "metrics.%s: opts.%s must be a string, got %s", fn, key,
				   luaL_typename(L, -1));
		s = lua_tostring(L, -1);   /* kept alive by opts */
	}
	lua_pop(L, 1);
	return s;
}

static bool opt_number(lua_State *L, int opts, const char *key, const char *fn, double *out)
{
	bool set = false;

	if (lua_getfield(L, opts, key) != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TNUMBER)
			luaL_error(L, "metrics.%s: opts.%s must be a number, got %s", fn, key,
				   luaL_typename(L, -1));
		*out = lua_tonumber(L, -1);
		set = true;
	}
	lua_pop(L, 1);
	return set;
}

/* opts of metrics.counter/gauge/histogram into O (strings stay pinned by the
 * opts table at OPTS). Raises on misuse; allocates nothing. */
static void parse_opts(lua_State *L, int opts, enum pl_metric_type type, struct pl_msource_opts *o,
		       const char **labels, struct pl_mlabel_decode *decode)
{
	static const char *const known[] = { "bucket", "decode", "labels", "max", "min",
					     "scale", "step", "value", NULL };
	const char *fn = type_names[type];
	char what[32];

	snprintf(what, sizeof(what), "metrics.%s", fn);
	pl_lua_check_options(L, opts, what, known);
	if (lua_getfield(L, opts, "labels") != LUA_TNIL) {         /* ... labels */
		if (!lua_istable(L, -1))
			luaL_error(L, "metrics.%s: opts.labels must be a sequence of names", fn);
		o->nlabels = (int)luaL_len(L, -1);
		if (o->nlabels > MAX_LABELS)
			luaL_error(L, "metrics.%s: more than %d labels", fn, MAX_LABELS);
		for (int i = 0; i < o->nlabels; i++) {
			lua_rawgeti(L, -1, i + 1);
			labels[i] = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			lua_pop(L, 1);
			if (!labels[i])
				luaL_error(L, "metrics.%s: opts.labels[%d] is not a string", fn, i + 1);
		}
		o->labels = labels;
	}
	lua_pop(L, 1);
	if (lua_getfield(L, opts, "decode") != LUA_TNIL) {         /* ... decode */
		if (!lua_istable(L, -1))
			luaL_error(L, "metrics.%s: opts.decode must be a table of label = decoder",
				   fn);
		int dt = lua_gettop(L);
		o->decode = decode;
		lua_pushnil(L);
		while (lua_next(L, dt)) {                  /* ... decode k v */
			const char *label = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
									   : NULL;
			if (!label || o->ndecode == MAX_LABELS)
				luaL_error(L, "metrics.%s: opts.decode: keys are label names", fn);
			struct pl_mlabel_decode *d = &decode[o->ndecode++];
			*d = (struct pl_mlabel_decode){ .label = label };
			if (lua_isfunction(L, -1)) {
				d->decode = PL_MDECODE_FN;       /* fn and ctx: set by the caller */
			} else {
				const char *dn = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
										: NULL;
				d->decode = dn ? pl_mdecode__parse(dn) : PL_MDECODE_NONE;
				if (!d->decode)
					luaL_error(L, "metrics.%s: decode.%s: unknown decoder '%s' (ip, "
						   "port, ksym, comm, ifname, errno, or a function)",
						   fn, label, dn ? dn : luaL_typename(L, -1));
			}
			lua_pop(L, 1);                     /* ... decode k */
		}
	}
	lua_pop(L, 1);
	o->value = opt_string(L, opts, "value", fn);
	o->bucket = opt_string(L, opts, "bucket", fn);
	double min = 0, max = 0, step = 0, scale = 0;
	bool lin = opt_number(L, opts, "min", fn, &min);
	lin |= opt_number(L, opts, "max", fn, &max);
	lin |= opt_number(L, opts, "step", fn, &step);
	if (opt_number(L, opts, "scale", fn, &scale) && !(scale > 0 && isfinite(scale)))
		luaL_error(L, "metrics.%s: opts.scale must be a positive number", fn);
	if (type != PL_METRIC_HISTOGRAM && (lin || scale || o->bucket))
		luaL_error(L, "metrics.%s: bucket, min, max, step and scale are histogram options",
			   fn);
	if (lin && (min != floor(min) || max != floor(max) || step != floor(step)))
		luaL_error(L, "metrics.%s: min, max and step are integers (<pktlua/hist.h>'s "
			   "PKTLUA_LHIST)", fn);
	o->linear = lin;
	o->min = (int64_t)min;
	o->max = (int64_t)max;
	o->step = (int64_t)step;
	o->scale = scale;
}

/* The function decoders of O, as refs in F (the decode table is at OPTS).
 * Returns false when out of memory. */
static bool take_decoders(lua_State *L, int opts, struct family *f, struct pl_msource_opts *o,
			  struct pl_mlabel_decode *decode)
{
	int n = 0;

	for (int i = 0; i < o->ndecode; i++)
		n += decode[i].decode == PL_MDECODE_FN;
	if (!n)
		return true;
	f->decoders = calloc((size_t)n, sizeof(*f->decoders));
	if (!f->decoders)
		return false;
	lua_getfield(L, opts, "decode");                   /* ... decode */
	for (int i = 0; i < o->ndecode; i++) {
		if (decode[i].decode != PL_MDECODE_FN)
			continue;
		struct fn_decoder *d = &f->decoders[f->ndecoders++];
		d->lm = f->lm;
		snprintf(d->label, sizeof(d->label), "%s", decode[i].label);
		lua_getfield(L, -1, decode[i].label);      /* ... decode fn */
		d->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		decode[i].fn = call_decoder;
		decode[i].fn_ctx = d;
	}
	lua_pop(L, 1);
	return true;
}

static int metrics_register(lua_State *L, enum pl_metric_type type)
{
	const char *fn = type_names[type];
	const char *name = luaL_checkstring(L, 1);
	const char *help = luaL_checkstring(L, 2);
	bool is_map = luaL_testudata(L, 3, PL_MAP_MT) != NULL;
	struct lua_metrics *lm = get_metrics(L);
	const char *labels[MAX_LABELS];
	struct pl_mlabel_decode decode[MAX_LABELS];
	struct pl_msource_opts o = { .type = type };
	struct bpf_map *map = NULL;
	struct pl_lua_program *owner = NULL;
	char err[512];
	int rc;

	luaL_argexpected(L, is_map || (type != PL_METRIC_HISTOGRAM && lua_isfunction(L, 3)), 3,
			 type == PL_METRIC_HISTOGRAM ? "pktlua.Map" : "pktlua.Map or function");
	if (!lua_isnoneornil(L, 4))
		luaL_checktype(L, 4, LUA_TTABLE);
	lua_settop(L, 4);
	const char *why = pl_metrics__check_name(lm->reg, name, type);
	if (why)
		return luaL_error(L, "metrics.%s: metric '%s': %s", fn, name, why);
	if (lua_istable(L, 4))
		parse_opts(L, 4, type, &o, labels, decode);
	if (is_map) {
		map = pl_lua_check_map(L, 3);
		owner = pl_lua_map_program(L, 3);
	} else if (o.labels || o.ndecode || o.value) {
		return luaL_error(L, "metrics.%s: metric '%s': a function gives one value: "
				  "labels, decode and value are map options", fn, name);
	}
	drop_closed(L, lm);

	/* Nothing below raises before F is either registered or freed. */
	struct family *f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(name))) {
		free(f);
		return luaL_error(L, "metrics.%s: out of memory", fn);
	}
	f->lm = lm;
	f->owner = owner;
	f->source_ref = LUA_NOREF;
	if (!take_decoders(L, 4, f, &o, decode)) {
		family_free(L, f);
		return luaL_error(L, "metrics.%s: out of memory", fn);
	}
	if (is_map) {
		struct pl_msource *src = pl_msource__new(map, bpf_object__btf(owner->obj), &o,
							 err, sizeof(err));
		if (!src) {
			family_free(L, f);
			return luaL_error(L, "metrics.%s: metric '%s' (map '%s'): %s", fn, name,
					  bpf_map__name(map), err);
		}
		rc = pl_metrics__add_source(lm->reg, name, help, type, src, err, sizeof(err));
	} else {
		rc = pl_metrics__add_fn(lm->reg, name, help, type, call_source, f, err,
					sizeof(err));
	}
	if (rc) {
		family_free(L, f);
		return luaL_error(L, "metrics.%s: %s", fn, err);
	}
	lua_pushvalue(L, 3);
	f->source_ref = luaL_ref(L, LUA_REGISTRYINDEX);     /* pins the Map / function */
	f->next = lm->fams;
	lm->fams = f;
	return 0;
}

static int metrics_counter(lua_State *L)
{
	return metrics_register(L, PL_METRIC_COUNTER);
}

static int metrics_gauge(lua_State *L)
{
	return metrics_register(L, PL_METRIC_GAUGE);
}

static int metrics_histogram(lua_State *L)
{
	return metrics_register(L, PL_METRIC_HISTOGRAM);
}

static int metrics_remove(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	struct lua_metrics *lm = get_metrics(L);

	for (struct family **pp = &lm->fams; *pp; pp = &(*pp)->next) {
		struct family *f = *pp;
		if (strcmp(f->name, name))
			continue;
		pl_metrics__remove(lm->reg, name);
		*pp = f->next;
		family_free(L, f);
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushboolean(L, 0);
	return 1;
}

static int metrics_text(lua_State *L)
{
	static const char *const formats[] = { "text", "openmetrics", NULL };
	int fmt = luaL_checkoption(L, 1, "text", formats);
	struct lua_metrics *lm = get_metrics(L);
	struct pl_mbuf out = { 0 };

	drop_closed(L, lm);
	lm->L = L;
	lm->raise = true;
	int rc = pl_metrics__render(lm->reg, fmt ? PL_EXPO_OPENMETRICS : PL_EXPO_TEXT, &out);
	lm->raise = false;
	if (rc || out.failed) {
		lua_pushfstring(L, "metrics.text: %s", out.failed ? "out of memory"
				: out.len ? out.data : strerror(-rc));
		pl_mbuf__free(&out);
		return lua_error(L);
	}
	lua_pushlstring(L, out.data ? out.data : "", out.len);
	pl_mbuf__free(&out);
	return 1;
}

/* ---- serving ---------------------------------------------------------------------- */

static void push_server(lua_State *L, struct lua_metrics *lm)
{
	struct lserver *s = lua_newuserdatauv(L, sizeof(*s), 0);

	s->lm = lm;
	luaL_setmetatable(L, SERVER_MT);
}

static int start(lua_State *L, struct lua_metrics *lm, const char *addr, unsigned timeout,
		 bool prog_stats, const char *who)
{
	char err[512];
	struct pl_metrics_server_opts o = { .render = render, .ctx = lm, .timeout_s = timeout };

	if (prog_stats && lm->stats_fd < 0) {
		/* Run counts and times are kept while this fd is open (as
		 * kernel.bpf_stats_enabled=1 would, but only for as long as we
		 * serve): they cost the kernel two clock reads per run. */
		int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (fd < 0)
			return luaL_error(L, "%s: prog_stats: cannot turn on BPF run-time "
					  "statistics: %s", who, strerror(errno));
		lm->stats_fd = fd;
	}
	lm->srv = pl_metrics_server__new(addr, pl_lua_loop(L), &o, err, sizeof(err));
	if (!lm->srv)
		return luaL_error(L, "%s: %s", who, err);
	pl_log(PL_LOG_INFO, "metrics: serving http://%s/metrics",
	       pl_metrics_server__address(lm->srv));
	return 0;
}

static int metrics_serve(lua_State *L)
{
	struct lua_metrics *lm = get_metrics(L);
	const char *addr = NULL;
	double timeout = 0;
	bool prog_stats = false;

	if (lua_istable(L, 1)) {
		static const char *const known[] = { "addr", "prog_stats", "timeout", NULL };
		pl_lua_check_options(L, 1, "metrics.serve", known);
		addr = opt_string(L, 1, "addr", "serve");
		if (opt_number(L, 1, "timeout", "serve", &timeout) &&
		    !(timeout >= 1 && timeout <= 3600))
			return luaL_error(L, "metrics.serve: timeout must be 1..3600 seconds");
		lua_getfield(L, 1, "prog_stats");
		prog_stats = lua_toboolean(L, -1);
		lua_pop(L, 1);
	} else {
		addr = luaL_optstring(L, 1, NULL);
	}
	if (lm->srv) {
		if (!lm->srv_from_cli)
			return luaL_error(L, "metrics.serve: already serving on %s",
					  pl_metrics_server__address(lm->srv));
		/* --metrics ADDR on the command line wins over the script's address. */
		pl_log(PL_LOG_INFO, "metrics.serve(%s): serving on %s, as --metrics says",
		       addr ? addr : PL_METRICS_DEFAULT_ADDR, pl_metrics_server__address(lm->srv));
	} else {
		start(L, lm, addr, (unsigned)timeout, prog_stats, "metrics.serve");
	}
	push_server(L, lm);
	return 1;
}

int pl_lua_metrics_serve_cli(lua_State *L, const char *addr)
{
	struct lua_metrics *lm = get_metrics(L);

	start(L, lm, addr, 0, false, "--metrics");
	lm->srv_from_cli = true;
	return 0;
}

static int server_index(lua_State *L)
{
	struct lserver *s = luaL_checkudata(L, 1, SERVER_MT);
	const char *k = luaL_checkstring(L, 2);
	struct pl_metrics_server *srv = s->lm->srv;

	if (!strcmp(k, "address") && srv)
		lua_pushstring(L, pl_metrics_server__address(srv));
	else if (!strcmp(k, "port") && srv)
		lua_pushinteger(L, pl_metrics_server__port(srv));
	else if (!strcmp(k, "close"))
		lua_getfield(L, lua_upvalueindex(1), "close");
	else
		lua_pushnil(L);
	return 1;
}

static int server_close(lua_State *L)
{
	struct lserver *s = luaL_checkudata(L, 1, SERVER_MT);

	pl_metrics_server__free(s->lm->srv);
	s->lm->srv = NULL;
	s->lm->srv_from_cli = false;
	return 0;
}

static int server_tostring(lua_State *L)
{
	struct lserver *s = luaL_checkudata(L, 1, SERVER_MT);

	if (s->lm->srv)
		lua_pushfstring(L, SERVER_MT " http://%s/metrics",
				pl_metrics_server__address(s->lm->srv));
	else
		lua_pushliteral(L, SERVER_MT " (closed)");
	return 1;
}

static const luaL_Reg metrics_funcs[] = {
	{"counter", metrics_counter},
	{"gauge", metrics_gauge},
	{"histogram", metrics_histogram},
	{"remove", metrics_remove},
	{"serve", metrics_serve},
	{"text", metrics_text},
	{NULL, NULL},
};

static const luaL_Reg server_methods[] = {
	{"close", server_close},
	{NULL, NULL},
};

int luaopen_pktlua_metrics(lua_State *L)
{
	luaL_newmetatable(L, SERVER_MT);                   /* mt */
	lua_pushcfunction(L, server_tostring);
	lua_setfield(L, -2, "__tostring");
	luaL_newlib(L, server_methods);                    /* mt methods */
	lua_pushcclosure(L, server_index, 1);              /* mt index */
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	luaL_newlib(L, metrics_funcs);
	return 1;
}
