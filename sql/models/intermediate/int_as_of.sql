-- One row: the day windows and open-deal snapshots are measured to (var as_of_date, else today).
select coalesce(cast(nullif('{{ var("as_of_date", "") }}', '') as date), current_date) as as_of_date
