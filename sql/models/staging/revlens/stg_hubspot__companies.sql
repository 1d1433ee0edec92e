-- One row per live company; canonical columns first, then every raw column (custom properties included).
select
  c.id as company_id,
  c.name as company_name,
  lower(c.domain) as company_domain,
  cast({{ revlens_safe_cast_double('c.hubspot_owner_id') }} as bigint) as owner_id,
  c.numberofemployees as employee_count,
  c.annualrevenue as annual_revenue,
  c.*
from {{ source('hubspot', 'companies') }} as c
where c.is_deleted is not true
