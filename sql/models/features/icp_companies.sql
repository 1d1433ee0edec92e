-- One row per live company with what the ICP analysis segments on (firmographics as filled: HubSpot's, else an
-- enrichment provider's, see the companies mart): industry (admin-added spellings mapped onto
-- HubSpot's values by icp_industry_synonyms), employee and revenue bands, country and region, the tech stack
-- (var icp_tech_property, a multi-select joined by ';'), leads (contacts) and closed new-business deals.
with industry as (
  select
    c.company_id,
    nullif(upper(replace(replace(replace(replace(trim(c.filled_industry), ' & ', ' '), '&', ' '), '-', ''), ' ', '_')), '')
      as industry_key,
    nullif(upper(trim(c.filled_country)), '') as country_key
  from {{ ref('companies') }} as c
), new_business as (
  select
    d.company_id,
    sum(case when d.is_closed then 1 else 0 end) as closed_deals,
    sum(case when d.is_won then 1 else 0 end) as won_deals
  from {{ ref('deals') }} as d
  where d.pipeline_id = '{{ var("icp_new_business_pipeline", "default") }}' and d.company_id is not null
  group by d.company_id
)
select
  c.company_id,
  c.company_name,
  coalesce(s.industry, i.industry_key) as industry,
  c.size_band,
  c.revenue_band,
  coalesce(k.country, nullif(trim(c.filled_country), '')) as country,
  k.region,
  nullif(trim(cast(c.{{ var('icp_tech_property', 'tech_stack') }} as varchar)), '') as tech_stack,
  c.contact_count as leads,
  coalesce(nb.closed_deals, 0) as closed_deals,
  coalesce(nb.won_deals, 0) as won_deals
from {{ ref('companies') }} as c
join industry as i on i.company_id = c.company_id
left join {{ ref('icp_industry_synonyms') }} as s on s.industry_key = i.industry_key
left join {{ ref('icp_country_synonyms') }} as k on k.country_key = i.country_key
left join new_business as nb on nb.company_id = c.company_id
