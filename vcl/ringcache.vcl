vcl 4.1;
# ringcache's CDN tier on Varnish 7 with vmod xkey (Debian: varnish, varnish-modules).
# The documented example, and the VCL the tests run (they replace the backend port).
#
# What it does with the headers ringcache/http sends:
# - s-maxage is the object's TTL (Varnish subtracts Age, as RFC 9111 says);
# - stale-while-revalidate: past the TTL and within it, the stale object is served at once and
#   ONE background fetch refreshes it (Varnish's grace);
# - stale-if-error: past TTL + stale-while-revalidate and within it, the origin is asked first
#   and the stale object is served only when that fetch fails (a restart with grace 0, then a
#   restart that accepts the graced object);
# - Surrogate-Key becomes the xkey index: `PURGE` with `xkey-purge: tag1 tag2` (what
#   varnishPurger sends) drops every object carrying any of the tags; `xkey-softpurge` marks
#   them stale instead.
# Requests with Cookie or Authorization, and responses with Set-Cookie or private/no-store/
# no-cache, are passed by Varnish's built-in VCL, which runs after each subroutine below.
import std;
import xkey;

backend origin {
  .host = "127.0.0.1";
  .port = "3000";
}

# Who may purge. Keep it to your own hosts.
acl purgers {
  "127.0.0.1";
  "::1";
}

sub vcl_recv {
  if (req.restarts == 0) {
    # Our own restart markers must never come from a client.
    unset req.http.x-rc-refresh;
    unset req.http.x-rc-stale-ok;
    # Unkeyed headers that rewrite host, scheme, URL or method (cache poisoning): the origin
    # strips them too, this keeps them from reaching anything else behind the CDN.
    unset req.http.X-Forwarded-Host;
    unset req.http.X-Forwarded-Proto;
    unset req.http.X-Original-URL;
    unset req.http.X-Rewrite-URL;
    unset req.http.X-HTTP-Method-Override;
  }
  if (req.method == "PURGE") {
    if (client.ip !~ purgers) {
      return (synth(403, "Forbidden"));
    }
    if (req.http.xkey-purge) {
      set req.http.x-rc-purged = xkey.purge(req.http.xkey-purge);
    } elsif (req.http.xkey-softpurge) {
      set req.http.x-rc-purged = xkey.softpurge(req.http.xkey-softpurge);
    } else {
      return (synth(400, "xkey-purge or xkey-softpurge header required"));
    }
    return (synth(200, "Purged " + req.http.x-rc-purged));
  }
  if (req.http.x-rc-refresh) {
    # Past stale-while-revalidate: only a fresh object will do (see vcl_hit).
    set req.grace = 0s;
  } elsif (req.http.x-rc-stale-ok) {
    # That fetch failed: any object within its grace (stale-while-revalidate + stale-if-error).
    set req.grace = 3650d; # no cap: the object's own grace decides
  }
}

sub vcl_hit {
  if (obj.ttl + std.duration(obj.http.x-rc-swr, 0s) < 0s && !req.http.x-rc-refresh && !req.http.x-rc-stale-ok) {
    set req.http.x-rc-refresh = "1";
    return (restart);
  }
}

sub vcl_backend_response {
  if (beresp.http.Surrogate-Key) {
    set beresp.http.xkey = beresp.http.Surrogate-Key;
  }
  set beresp.http.x-rc-swr = "0s";
  if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
    set beresp.http.x-rc-swr = regsub(beresp.http.Cache-Control, "^.*stale-while-revalidate=([0-9]+).*$", "\1s");
  }
  set beresp.grace = std.duration(beresp.http.x-rc-swr, 0s);
  if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
    set beresp.grace = beresp.grace + std.duration(regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
  }
}

sub vcl_deliver {
  if (resp.status >= 500 && req.http.x-rc-refresh && !req.http.x-rc-stale-ok) {
    # The fetch past stale-while-revalidate failed: serve the object within stale-if-error.
    unset req.http.x-rc-refresh;
    set req.http.x-rc-stale-ok = "1";
    return (restart);
  }
  if (obj.hits > 0) {
    set resp.http.X-Cache = "HIT";
  } else {
    set resp.http.X-Cache = "MISS";
  }
  # Tags are for the CDN, not for browsers.
  unset resp.http.xkey;
  unset resp.http.x-rc-swr;
  unset resp.http.Surrogate-Key;
}
