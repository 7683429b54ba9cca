//! Part orders: create (keyed by a caller-chosen uuid), list, get, flush, cancel.

use super::resource::*;

use carbon_api_gen::enums::PartOrderStatus;

/// The routes of this resource.
pub(super) fn route(r: &Request<'_>, w: &mut World) -> Result<Reply, Reply> {
    match (r.method, r.segments) {
        (&Method::GET, ["v1", "part_orders"]) => {
            // Lists show how many printed parts an order has, not each of them.
            let summary = |o: &crate::world::OrderState| {
                let mut v = to_value(&o.order);
                v["printed_parts_count"] = json!(o.printed.len());
                if let Some(fields) = v.as_object_mut() {
                    fields.remove("printed_parts");
                }
                v
            };
            r.shared
                .map_page(r.query, &w.orders, summary, "part_orders", &["uuid"], &[])
        }
        (&Method::POST, ["v1", "part_orders"]) => {
            let request: types::PartOrderRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid part order: {e}")))?;
            let uuid = match request.uuid.clone() {
                Some(uuid) if w.orders.contains_key(&uuid) => {
                    return Err(text_reply(StatusCode::CONFLICT, "a part order with this uuid exists"));
                }
                Some(uuid) => uuid,
                None => w.uuid(),
            };
            let mut part_uuids = Vec::new();
            for part in &request.parts {
                let id = part
                    .uuid
                    .clone()
                    .ok_or_else(|| bad("every ordered part needs a uuid"))?;
                if !w.parts.contains_key(&id) {
                    return Err(bad(format!("unknown part {id}")));
                }
                part_uuids.push(id);
            }
            if part_uuids.is_empty() {
                return Err(bad("a part order needs at least one part"));
            }
            let now = w.clock.now();
            // An order belongs to the application of its parts.
            let application = part_uuids.iter().find_map(|p| w.part_apps.get(p)).cloned();
            let order: types::PartOrder = checked(json!({
                "uuid": uuid, "part_order_number": request.part_order_number, "due_date": request.due_date,
                "application_uuid": application,
                "packing_group": request.packing_group, "build_sop_uuid": request.build_sop_uuid, "status": "open",
                "build_uuids": [], "created_at": now, "updated_at": now,
                "flushed_at": if request.flush == Some(true) { json!(now) } else { Value::Null }, "printed_parts": []
            }))?;
            w.add_order(
                uuid.clone(),
                crate::world::OrderState {
                    order,
                    printed: Vec::new(),
                    created: now,
                    packed_at: None,
                    finished: false,
                },
            );
            w.create_printed_parts(&uuid, &part_uuids, now);
            Ok(json_reply(StatusCode::OK, &w.orders[&uuid].view(&w.printed_parts)))
        }
        (&Method::GET, ["v1", "part_orders", uuid]) => Ok(json_reply(
            StatusCode::OK,
            &w.orders
                .get(uuid)
                .ok_or_else(|| not_found("part order"))?
                .view(&w.printed_parts),
        )),
        (&Method::DELETE, ["v1", "part_orders", uuid]) => {
            let state = w.orders.get(uuid).ok_or_else(|| not_found("part order"))?;
            if state.order.status != Some(PartOrderStatus::Open) {
                return Err(text_reply(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "the part order can no longer be canceled",
                ));
            }
            w.cancel_order(uuid);
            Ok(empty(StatusCode::NO_CONTENT))
        }
        (&Method::PATCH, ["v1", "part_orders", uuid]) => {
            let request: types::PartOrderUpdateRequest =
                serde_json::from_value(parse(r.body)?).map_err(|e| bad(format!("invalid update: {e}")))?;
            let now = w.clock.now();
            w.orders
                .update(uuid, |state| {
                    if request.flush == Some(true) && state.order.flushed_at.is_none() {
                        state.order.flushed_at = Some(now.into());
                    }
                })
                .ok_or_else(|| not_found("part order"))?;
            Ok(json_reply(StatusCode::OK, &w.orders[uuid].view(&w.printed_parts)))
        }
        _ => Err(no_route()),
    }
}
