# The agents' console: static files served by `relance serve --web DIR`,
# only plain names of that folder, with a content security policy; the
# files hold no data (everything comes from the API under a session).
. "$TOP/tests/lib/integration.sh"

expect_status 0 relance init
for f in "$TOP/web/console/app.js" "$TOP"/web/common/*.js; do
	node --check "$f" || fail "$f does not parse"
done
# The content security policy allows no inline script or style, and text
# from users is set as text: no inline code, no innerHTML.
if grep -Eq '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$TOP/web/console/index.html"; then
	fail "web/console/index.html has inline script or style"
fi
if grep -Eq 'innerHTML|outerHTML|insertAdjacentHTML|document\.write' "$TOP/web/console/app.js" \
	"$TOP"/web/common/*.js; then
	fail "web/console/app.js or web/common/ writes HTML"
fi

get() {   # PATH: status.txt, headers.txt, body.txt
	curl -s -D headers.txt -o body.txt -w '%{http_code}' "$URL$1" > status.txt
}
expect_http() {
	[ "$(cat status.txt)" = "$1" ] || { cat headers.txt body.txt; fail "HTTP $(cat status.txt), expected $1"; }
}

start_serve serve --listen 127.0.0.1:0 --cycle-every 0 --web "$TOP/web"
get /console
expect_http 308
expect_grep headers.txt "Location: /console/"
get /console/
expect_http 200
expect_grep headers.txt "Content-Type: text/html; charset=utf-8"
expect_grep headers.txt "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'"
expect_grep body.txt "<title>relance — console</title>"
get /console/app.js
expect_http 200
expect_grep headers.txt "Content-Type: text/javascript"
get /console/style.css
expect_http 200
expect_grep headers.txt "Content-Type: text/css"
# What the pages share, under /common/.
get /common/api.js
expect_http 200
expect_grep headers.txt "Content-Type: text/javascript"
get /common/base.css
expect_http 200
expect_grep headers.txt "Content-Type: text/css"
# Nothing but plain names of the folder, with known extensions.
for bad in /console/..%2fREADME.md /console/..%2f..%2fetc%2fpasswd /console/.env \
	/console/app.js%00.html /console/x.sh /console/missing.js /console/App.JS \
	/console/sub/app.js; do
	get "$bad"
	case $(cat status.txt) in 404) ;; *) fail "$bad: HTTP $(cat status.txt), expected 404";; esac
done
kill -TERM "$SERVE"
wait "$SERVE"

# Without --web there is none.
start_serve serve --listen 127.0.0.1:0 --cycle-every 0
get /console/
expect_http 404
kill -TERM "$SERVE"
wait "$SERVE"
