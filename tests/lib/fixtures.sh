# Sourced: writes a small, readable set of files for the five jurisdictions.
write_fixtures() {
	cat > customers.csv <<'CSV'
customer_id,name,locale,timezone,jurisdiction,phone,email,segment
C-BI-1,Jean Ndayishimiye,fr-BI,Africa/Bujumbura,BI,+25779123456,,residential
C-BR-1,"Souza, Ana",pt-BR,America/Sao_Paulo,BR,+5511987654321,ana@example.com.br,residential
C-FR-1,Marie Dupont,fr-FR,Europe/Paris,FR,+33612345678,marie@example.fr,
C-UA-1,Олена Коваленко,uk-UA,Europe/Kyiv,UA,+380501234567,,residential
C-QC-1,Sophie Tremblay,fr-CA,America/Toronto,QC,+15145550123,sophie@example.ca,business
CSV
	cat > accounts.csv <<'CSV'
account_id,customer_id,currency
A-BI-1,C-BI-1,BIF
A-BR-1,C-BR-1,BRL
A-FR-1,C-FR-1,EUR
A-UA-1,C-UA-1,UAH
A-QC-1,C-QC-1,CAD
CSV
	cat > services.csv <<'CSV'
service_id,account_id,kind,identifier,adapter
S-BI-1,A-BI-1,mobile,25779123456,webhook
S-BR-1,A-BR-1,fixed_internet,CPE-00A1B2,tr069
S-FR-1,A-FR-1,fixed_internet,marie.dupont,radius
CSV
	# Column order differs from SPEC.md's on purpose; 'note' is extra.
	cat > invoices.csv <<'CSV'
account_id,invoice_id,amount,issued_on,due_on,note
A-BI-1,I-BI-1,12500,2024-06-01,2024-06-24,
A-BI-1,I-BI-2,12500,2024-07-01,2024-07-24,
A-BR-1,I-BR-1,129.90,2024-05-01,2024-05-10,
A-BR-1,I-BR-2,129.90,2024-06-01,2024-06-10,
A-FR-1,I-FR-1,29.99,2024-06-01,2024-06-15,"quoted, with comma"
A-UA-1,I-UA-1,350.00,2024-04-01,2024-04-20,
A-UA-1,I-UA-2,350.5,2024-05-01,2024-05-20,
A-QC-1,I-QC-1,85.00,2024-07-01,2024-07-15,
CSV
	cat > payments.csv <<'CSV'
payment_id,account_id,received_at,amount,method,invoice_id
P-BI-1,A-BI-1,2024-06-20T09:15:00+02:00,12500,mobile_money,I-BI-1
P-BR-1,A-BR-1,2024-05-09,129.90,pix,
P-FR-1,A-FR-1,2024-06-14T10:00:00Z,10.00,card,I-FR-1
P-QC-1,A-QC-1,2024-07-20T15:00:00Z,100.00,interac,
CSV
	cat > credit_notes.csv <<'CSV'
credit_note_id,account_id,invoice_id,issued_on,amount,reason
CN-FR-1,A-FR-1,I-FR-1,2024-06-20,5.00,"service outage, 2 days"
CSV
}

import_fixtures() {
	for k in customers accounts services invoices payments credit_notes; do
		relance import "$k" "$k.csv" 2>>import.log || fail "import $k"
	done
}
