-- One row per live contact: every contact property (custom ones included), company, owner, the first time each
-- lifecycle stage was reached, engagement roll-ups in windows to the as-of date, and product-usage roll-ups.
with lifecycle as (
  select
    h.contact_id,
    min(case when h.lifecycle_stage = 'subscriber' then h.changed_at end) as subscriber_at,
    min(case when h.lifecycle_stage = 'lead' then h.changed_at end) as lead_at,
    min(case when h.lifecycle_stage = 'marketingqualifiedlead' then h.changed_at end) as mql_at,
    min(case when h.lifecycle_stage = 'salesqualifiedlead' then h.changed_at end) as sql_at,
    min(case when h.lifecycle_stage = 'opportunity' then h.changed_at end) as opportunity_at,
    min(case when h.lifecycle_stage = 'customer' then h.changed_at end) as customer_at
  from {{ ref('stg_hubspot__contact_lifecycle_history') }} as h
  group by h.contact_id
), activity as (
  select
    l.linked_id as contact_id,
    count(*) as engagements_total,
    sum(case when cast(l.occurred_at as date) > {{ revlens_date_add_days('a.as_of_date', '-30') }}
                         and cast(l.occurred_at as date) <= a.as_of_date then 1 else 0 end) as engagements_30d,
    sum(case when cast(l.occurred_at as date) > {{ revlens_date_add_days('a.as_of_date', '-90') }}
                         and cast(l.occurred_at as date) <= a.as_of_date then 1 else 0 end) as engagements_90d,
    sum(case when l.engagement_type = 'call' then 1 else 0 end) as calls_total,
    sum(case when l.engagement_type = 'email' then 1 else 0 end) as emails_total,
    sum(case when l.engagement_type = 'meeting' then 1 else 0 end) as meetings_total,
    min(case when l.engagement_type in ('call', 'email') then l.occurred_at end) as first_call_or_email_at,
    min(l.occurred_at) as first_engagement_at,
    max(l.occurred_at) as last_engagement_at
  -- One row per engagement × linked record, so counts need no DISTINCT.
  from {{ ref('int_engagement_links') }} as l
  cross join {{ ref('int_as_of') }} as a
  where l.linked_type = 'contacts'
  group by l.linked_id
), usage_days as (
  -- Product events match a contact by hubspot_contact_id, else by email.
  -- (Two equi-joins, not one join with OR, which engines run as a nested loop.)
  select
    m.contact_id,
    m.event_date,
    -- Sums are cast back to BIGINT: PostgreSQL widens a BIGINT sum to NUMERIC, DuckDB to HUGEINT.
    cast(sum(m.logins) as bigint) as logins,
    cast(sum(m.key_feature_uses) as bigint) as key_feature_uses
  from (
    select c.contact_id, u.event_date, u.logins, u.key_feature_uses
    from {{ ref('stg_hubspot__contacts') }} as c
    join {{ ref('stg_hubspot__product_usage') }} as u on u.hubspot_contact_id = c.contact_id
    union all
    select c.contact_id, u.event_date, u.logins, u.key_feature_uses
    from {{ ref('stg_hubspot__contacts') }} as c
    join {{ ref('stg_hubspot__product_usage') }} as u on u.email = lower(c.email)
    where u.hubspot_contact_id is null
  ) as m
  group by m.contact_id, m.event_date
), usage_rollup as (
  select
    ud.contact_id,
    count(*) as usage_active_days,
    sum(case when ud.event_date >= cast(coalesce(c.createdate, c.created_at) as date)
              and ud.event_date < {{ revlens_date_add_days('coalesce(c.createdate, c.created_at)', 14) }}
             then 1 else 0 end) as usage_active_days_first_14d,
    sum(case when ud.event_date > {{ revlens_date_add_days('a.as_of_date', '-30') }} and ud.event_date <= a.as_of_date
             then 1 else 0 end) as usage_active_days_30d,
    cast(sum(ud.logins) as bigint) as usage_logins,
    cast(sum(ud.key_feature_uses) as bigint) as usage_key_feature_uses,
    min(ud.event_date) as first_usage_date,
    max(ud.event_date) as last_usage_date
  from usage_days as ud
  join {{ ref('stg_hubspot__contacts') }} as c on c.contact_id = ud.contact_id
  cross join {{ ref('int_as_of') }} as a
  group by ud.contact_id
)
select
  c.*,
  coalesce(c.createdate, c.created_at) as contact_created_at,
  cc.company_id,
  co.company_name,
  coalesce(nullif(trim(co.industry), ''), ce.industry) as company_filled_industry,
  o.owner_name,
  o.team_name,
  coalesce(lc.subscriber_at, c.hs_lifecyclestage_subscriber_date) as became_subscriber_at,
  coalesce(lc.lead_at, c.hs_lifecyclestage_lead_date) as became_lead_at,
  coalesce(lc.mql_at, c.hs_lifecyclestage_marketingqualifiedlead_date) as became_mql_at,
  coalesce(lc.sql_at, c.hs_lifecyclestage_salesqualifiedlead_date) as became_sql_at,
  coalesce(lc.opportunity_at, c.hs_lifecyclestage_opportunity_date) as became_opportunity_at,
  coalesce(lc.customer_at, c.hs_lifecyclestage_customer_date) as became_customer_at,
  coalesce(act.engagements_total, 0) as engagements_total,
  coalesce(act.engagements_30d, 0) as engagements_30d,
  coalesce(act.engagements_90d, 0) as engagements_90d,
  coalesce(act.calls_total, 0) as calls_total,
  coalesce(act.emails_total, 0) as emails_total,
  coalesce(act.meetings_total, 0) as meetings_total,
  act.first_engagement_at,
  act.last_engagement_at,
  act.first_call_or_email_at,
  coalesce(u.usage_active_days, 0) as usage_active_days,
  coalesce(u.usage_active_days_first_14d, 0) as usage_active_days_first_14d,
  coalesce(u.usage_active_days_30d, 0) as usage_active_days_30d,
  coalesce(u.usage_logins, 0) as usage_logins,
  coalesce(u.usage_key_feature_uses, 0) as usage_key_feature_uses,
  u.first_usage_date,
  u.last_usage_date
from {{ ref('stg_hubspot__contacts') }} as c
left join {{ ref('int_contact_companies') }} as cc on cc.contact_id = c.contact_id
left join {{ ref('stg_hubspot__companies') }} as co on co.company_id = cc.company_id
left join {{ ref('int_company_enrichment') }} as ce on ce.company_id = cc.company_id
left join {{ ref('stg_hubspot__owners') }} as o on o.owner_id = c.owner_id
left join lifecycle as lc on lc.contact_id = c.contact_id
left join activity as act on act.contact_id = c.contact_id
left join usage_rollup as u on u.contact_id = c.contact_id
