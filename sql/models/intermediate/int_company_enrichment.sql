-- One row per company a provider filled something for: the latest provider value per firmographic field and the
-- provider it came from (the companies mart uses them only where HubSpot's own value is empty).
select
  v.record_id as company_id,
  max(case when v.property = 'industry' then v.value end) as industry,
  max(case when v.property = 'industry' then v.provider end) as industry_provider,
  max(case when v.property = 'numberofemployees' then {{ revlens_safe_cast_double('v.value') }} end) as employee_count,
  max(case when v.property = 'numberofemployees' then v.provider end) as employee_count_provider,
  max(case when v.property = 'annualrevenue' then {{ revlens_safe_cast_double('v.value') }} end) as annual_revenue,
  max(case when v.property = 'annualrevenue' then v.provider end) as annual_revenue_provider,
  max(case when v.property = 'country' then v.value end) as country,
  max(case when v.property = 'country' then v.provider end) as country_provider
from {{ ref('stg_enrichment__values') }} as v
where v.object_type = 'companies'
group by v.record_id
