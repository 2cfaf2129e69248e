# `relance policy check`: the shipped examples pass; broken copies fail with
# every problem as FILE:LINE:COLUMN and exit 2.
. "$TOP/tests/lib/integration.sh"

for f in burundi-mobile brazil-isp france-isp ukraine-water quebec-telecom; do
	expect_status 0 relance policy check "$TOP/examples/policies/$f.yaml"
	expect_grep out.txt "policy '$f' is valid"
done
expect_grep out.txt "jurisdictions: 1 (QC)"

# Several problems in one file, all reported, in the order of the text.
cat > broken.yaml <<'YAML'
name: broken
jurisdictions:
  BR:
    timezone: America/Sao_Paulo
    currency: BRL
    locales: [pt-BR]
    contact_window:
      mon: ["08:00-20:00"]
    voicemail: nope
    forbidden_fees: [reconnection]
templates:
  hello:
    channel: fax
    text:
      pt-BR: "Olá {nmae}"
strategies:
  - name: s
    jurisdictions: [BR]
    currency: BRL
    stages:
      - name: late
        when: {days_past_due: {min: 30}}
        actions:
          - {do: sms, template: hi}
      - name: early
        when: {days_past_due: {min: 1}}
        actions:
          - {do: suspend, services: all, fees: [reconnection]}
YAML
expect_status 2 relance policy check broken.yaml
expect_line err.txt "broken.yaml:4:5: a jurisdiction needs 'contact_windows'"
expect_line err.txt "broken.yaml:7:5: unknown key 'contact_window' (did you mean 'contact_windows'?)"
expect_line err.txt "broken.yaml:9:16: voicemail must be true or false, not 'nope'"
expect_line err.txt "broken.yaml:13:14: unknown channel 'fax'"
expect_line err.txt "broken.yaml:15:14: template 'hello' (pt-BR): unknown placeholder {nmae} (did you mean {name}?)"
expect_line err.txt "broken.yaml:21:9: stage 'late' can never be reached: every account it matches also matches the later stage 'early'"
expect_line err.txt "broken.yaml:24:33: unknown template 'hi'"
expect_line err.txt "broken.yaml:28:18: jurisdiction BR forbids the reconnection fee"

# A YAML syntax error, a bad date and a missing locale.
printf 'name: x\njurisdictions:\n  FR: {timezone: Europe/Paris\n' > syntax.yaml
expect_status 2 relance policy check syntax.yaml
expect_grep err.txt "syntax.yaml:4:1: YAML:"
sed -e 's/deadline: 2024-07-24/deadline: 2024-07-32/' -e 's/locales: \[fr-BI\]/locales: [fr-BI, rn-BI]/' \
	"$TOP/examples/policies/burundi-mobile.yaml" > bad_burundi.yaml
expect_status 2 relance policy check bad_burundi.yaml
expect_line err.txt "bad_burundi.yaml:67:15: deadline: '2024-07-32' is not a date (YYYY-MM-DD)"
expect_grep err.txt "bad_burundi.yaml:69:29: template 'deadline_notice' has no text for locale rn-BI, which jurisdiction BI uses"
expect_status 2 relance policy check does-not-exist.yaml
