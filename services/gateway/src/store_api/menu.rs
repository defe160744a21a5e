//! The menu document and the editor's operations, each one `EditMenu` call. Ids in paths and
//! bodies are checked by the store service against the session's store: another store's id is
//! simply not found.

use axum::extract::State;
use axum::http::StatusCode;
use contracts::store::v1::edit_menu_request::Op;
use contracts::store::v1::{
    EditMenuRequest, GetMenuRequest, MenuEntryKind, ReorderCategories, SetCategoryItems,
    SetDisabled, SetItemSelections, SetOptionCategorySelections, SetSelectionOptions, SetSoldOut,
    UpsertCategory, UpsertItem, UpsertOption, UpsertOptionCategory, UpsertSelection,
};

use super::dto::{
    CategoryIds, CategoryInput, DisabledInput, EditResult, ItemIds, ItemInput, Menu,
    OptionCategoryInput, OptionIds, OptionInput, SelectionIds, SelectionInput, SoldOutInput, ids,
};
use super::extract::{Body, Id};
use crate::error::{ApiError, ErrorBody};
use crate::session::{Admin, Staff};
use crate::state::{AppState, grpc_request};

type Created = (StatusCode, axum::Json<EditResult>);
type Edited = axum::Json<EditResult>;

async fn edit(state: &AppState, admin: &Admin, op: Op) -> Result<EditResult, ApiError> {
    let request = grpc_request(EditMenuRequest {
        store_id: admin.0.store_id().to_owned(),
        op: Some(op),
    });
    let answer = state.store.clone().edit_menu(request).await?.into_inner();
    Ok(EditResult {
        id: answer.id,
        version: answer.version,
    })
}

async fn create(state: &AppState, admin: &Admin, op: Op) -> Result<Created, ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(edit(state, admin, op).await?),
    ))
}

async fn update(state: &AppState, admin: &Admin, op: Op) -> Result<Edited, ApiError> {
    Ok(axum::Json(edit(state, admin, op).await?))
}

/// The store's menu document, including disabled and sold-out entries (marked).
#[utoipa::path(
    get, path = "/api/store/menu", tag = "menu",
    responses((status = 200, body = Menu), (status = 401, body = ErrorBody))
)]
pub async fn get_menu(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<axum::Json<Menu>, ApiError> {
    let request = grpc_request(GetMenuRequest {
        store_id: staff.store_id().to_owned(),
    });
    let menu = state
        .store
        .clone()
        .get_menu(request)
        .await?
        .into_inner()
        .menu
        .ok_or_else(ApiError::internal)?;
    Ok(axum::Json(Menu::from_proto(menu)))
}

#[utoipa::path(
    post, path = "/api/store/menu/categories", tag = "menu", request_body = CategoryInput,
    responses((status = 201, body = EditResult), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody))
)]
pub async fn create_category(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<CategoryInput>,
) -> Result<Created, ApiError> {
    let op = Op::UpsertCategory(UpsertCategory {
        id: String::new(),
        name: input.name,
    });
    create(&state, &admin, op).await
}

#[utoipa::path(
    put, path = "/api/store/menu/categories/{id}", tag = "menu", request_body = CategoryInput,
    params(("id" = String, Path, description = "Category id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn update_category(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<CategoryInput>,
) -> Result<Edited, ApiError> {
    let op = Op::UpsertCategory(UpsertCategory {
        id: id.to_string(),
        name: input.name,
    });
    update(&state, &admin, op).await
}

/// Replaces the category's items: membership and display order at once.
#[utoipa::path(
    put, path = "/api/store/menu/categories/{id}/items", tag = "menu", request_body = ItemIds,
    params(("id" = String, Path, description = "Category id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn set_category_items(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<ItemIds>,
) -> Result<Edited, ApiError> {
    let op = Op::SetCategoryItems(SetCategoryItems {
        category_id: id.to_string(),
        item_ids: ids(&input.item_ids),
    });
    update(&state, &admin, op).await
}

/// The display order of the store's categories.
#[utoipa::path(
    put, path = "/api/store/menu/category-order", tag = "menu", request_body = CategoryIds,
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn reorder_categories(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<CategoryIds>,
) -> Result<Edited, ApiError> {
    let op = Op::ReorderCategories(ReorderCategories {
        category_ids: ids(&input.category_ids),
    });
    update(&state, &admin, op).await
}

#[utoipa::path(
    post, path = "/api/store/menu/items", tag = "menu", request_body = ItemInput,
    responses((status = 201, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn create_item(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<ItemInput>,
) -> Result<Created, ApiError> {
    create(&state, &admin, item_op(String::new(), input)).await
}

#[utoipa::path(
    put, path = "/api/store/menu/items/{id}", tag = "menu", request_body = ItemInput,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn update_item(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<ItemInput>,
) -> Result<Edited, ApiError> {
    update(&state, &admin, item_op(id.to_string(), input)).await
}

fn item_op(id: String, input: ItemInput) -> Op {
    Op::UpsertItem(UpsertItem {
        id,
        name: input.name,
        description: input.description,
        price: input.price,
        image_url: input.image_url,
        category_ids: ids(&input.category_ids),
    })
}

/// Replaces the item's option groups: membership and display order at once.
#[utoipa::path(
    put, path = "/api/store/menu/items/{id}/selections", tag = "menu", request_body = SelectionIds,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn set_item_selections(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<SelectionIds>,
) -> Result<Edited, ApiError> {
    let op = Op::SetItemSelections(SetItemSelections {
        item_id: id.to_string(),
        selection_ids: ids(&input.selection_ids),
    });
    update(&state, &admin, op).await
}

/// Hides or shows an item (items are disabled, never deleted).
#[utoipa::path(
    put, path = "/api/store/menu/items/{id}/disabled", tag = "menu", request_body = DisabledInput,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = EditResult), (status = 404, body = ErrorBody))
)]
pub async fn set_item_disabled(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<DisabledInput>,
) -> Result<Edited, ApiError> {
    let op = disabled_op(MenuEntryKind::Item, id.to_string(), input.disabled);
    update(&state, &admin, op).await
}

/// Marks an item sold out today, or available again.
#[utoipa::path(
    put, path = "/api/store/menu/items/{id}/sold-out", tag = "menu", request_body = SoldOutInput,
    params(("id" = String, Path, description = "Item id")),
    responses((status = 200, body = EditResult), (status = 404, body = ErrorBody))
)]
pub async fn set_item_sold_out(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<SoldOutInput>,
) -> Result<Edited, ApiError> {
    let op = sold_out_op(MenuEntryKind::Item, id.to_string(), input.sold_out);
    update(&state, &admin, op).await
}

#[utoipa::path(
    post, path = "/api/store/menu/selections", tag = "menu", request_body = SelectionInput,
    responses((status = 201, body = EditResult), (status = 400, body = ErrorBody))
)]
pub async fn create_selection(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<SelectionInput>,
) -> Result<Created, ApiError> {
    create(&state, &admin, selection_op(String::new(), input)).await
}

#[utoipa::path(
    put, path = "/api/store/menu/selections/{id}", tag = "menu", request_body = SelectionInput,
    params(("id" = String, Path, description = "Option group id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn update_selection(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<SelectionInput>,
) -> Result<Edited, ApiError> {
    update(&state, &admin, selection_op(id.to_string(), input)).await
}

fn selection_op(id: String, input: SelectionInput) -> Op {
    Op::UpsertSelection(UpsertSelection {
        id,
        name: input.name,
        min: input.min,
        max: input.max,
    })
}

/// Replaces the option group's options: membership and display order at once.
#[utoipa::path(
    put, path = "/api/store/menu/selections/{id}/options", tag = "menu", request_body = OptionIds,
    params(("id" = String, Path, description = "Option group id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn set_selection_options(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<OptionIds>,
) -> Result<Edited, ApiError> {
    let op = Op::SetSelectionOptions(SetSelectionOptions {
        selection_id: id.to_string(),
        option_ids: ids(&input.option_ids),
    });
    update(&state, &admin, op).await
}

#[utoipa::path(
    post, path = "/api/store/menu/options", tag = "menu", request_body = OptionInput,
    responses((status = 201, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn create_option(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<OptionInput>,
) -> Result<Created, ApiError> {
    create(&state, &admin, option_op(String::new(), input)).await
}

#[utoipa::path(
    put, path = "/api/store/menu/options/{id}", tag = "menu", request_body = OptionInput,
    params(("id" = String, Path, description = "Option id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn update_option(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<OptionInput>,
) -> Result<Edited, ApiError> {
    update(&state, &admin, option_op(id.to_string(), input)).await
}

fn option_op(id: String, input: OptionInput) -> Op {
    Op::UpsertOption(UpsertOption {
        id,
        name: input.name,
        price: input.price,
        selection_ids: ids(&input.selection_ids),
    })
}

/// Hides or shows an option (options are disabled, never deleted).
#[utoipa::path(
    put, path = "/api/store/menu/options/{id}/disabled", tag = "menu", request_body = DisabledInput,
    params(("id" = String, Path, description = "Option id")),
    responses((status = 200, body = EditResult), (status = 404, body = ErrorBody))
)]
pub async fn set_option_disabled(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<DisabledInput>,
) -> Result<Edited, ApiError> {
    let op = disabled_op(MenuEntryKind::Option, id.to_string(), input.disabled);
    update(&state, &admin, op).await
}

/// Marks an option sold out today, or available again.
#[utoipa::path(
    put, path = "/api/store/menu/options/{id}/sold-out", tag = "menu", request_body = SoldOutInput,
    params(("id" = String, Path, description = "Option id")),
    responses((status = 200, body = EditResult), (status = 404, body = ErrorBody))
)]
pub async fn set_option_sold_out(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<SoldOutInput>,
) -> Result<Edited, ApiError> {
    let op = sold_out_op(MenuEntryKind::Option, id.to_string(), input.sold_out);
    update(&state, &admin, op).await
}

/// Editor-only grouping of option groups (not shown to customers).
#[utoipa::path(
    post, path = "/api/store/menu/option-categories", tag = "menu", request_body = OptionCategoryInput,
    responses((status = 201, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn create_option_category(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<OptionCategoryInput>,
) -> Result<Created, ApiError> {
    create(&state, &admin, option_category_op(String::new(), input)).await
}

#[utoipa::path(
    put, path = "/api/store/menu/option-categories/{id}", tag = "menu", request_body = OptionCategoryInput,
    params(("id" = String, Path, description = "Option category id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn update_option_category(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<OptionCategoryInput>,
) -> Result<Edited, ApiError> {
    update(&state, &admin, option_category_op(id.to_string(), input)).await
}

fn option_category_op(id: String, input: OptionCategoryInput) -> Op {
    Op::UpsertOptionCategory(UpsertOptionCategory {
        id,
        name: input.name,
        option_ids: Vec::new(),
        selection_ids: ids(&input.selection_ids),
    })
}

/// Replaces the option groups of an option category: membership and order at once.
#[utoipa::path(
    put, path = "/api/store/menu/option-categories/{id}/selections", tag = "menu", request_body = SelectionIds,
    params(("id" = String, Path, description = "Option category id")),
    responses((status = 200, body = EditResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn set_option_category_selections(
    State(state): State<AppState>,
    admin: Admin,
    Id(id): Id,
    Body(input): Body<SelectionIds>,
) -> Result<Edited, ApiError> {
    let op = Op::SetOptionCategorySelections(SetOptionCategorySelections {
        option_category_id: id.to_string(),
        selection_ids: ids(&input.selection_ids),
    });
    update(&state, &admin, op).await
}

fn disabled_op(kind: MenuEntryKind, id: String, disabled: bool) -> Op {
    Op::SetDisabled(SetDisabled {
        kind: kind.into(),
        id,
        disabled,
    })
}

fn sold_out_op(kind: MenuEntryKind, id: String, sold_out: bool) -> Op {
    Op::SetSoldOut(SetSoldOut {
        kind: kind.into(),
        id,
        sold_out,
    })
}
