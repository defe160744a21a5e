//! The skills by name: the routes `POST /kakao/skill/{name}` and the blocks of the Open Builder
//! setup file that run them.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Skill {
    Welcome,
    Stores,
    Menu,
    Item,
    CartAdd,
    CartRemove,
    Cart,
    Order,
    Orders,
    Reorder,
    Favourites,
    Nickname,
    Alert,
}

impl Skill {
    pub const ALL: [Skill; 13] = [
        Skill::Welcome,
        Skill::Stores,
        Skill::Menu,
        Skill::Item,
        Skill::CartAdd,
        Skill::CartRemove,
        Skill::Cart,
        Skill::Order,
        Skill::Orders,
        Skill::Reorder,
        Skill::Favourites,
        Skill::Nickname,
        Skill::Alert,
    ];

    /// The name in `POST /kakao/skill/{name}` and in bot.json.
    pub const fn name(self) -> &'static str {
        match self {
            Skill::Welcome => "welcome",
            Skill::Stores => "stores",
            Skill::Menu => "menu",
            Skill::Item => "item",
            Skill::CartAdd => "cart-add",
            Skill::CartRemove => "cart-remove",
            Skill::Cart => "cart",
            Skill::Order => "order",
            Skill::Orders => "orders",
            Skill::Reorder => "reorder",
            Skill::Favourites => "favourites",
            Skill::Nickname => "nickname",
            Skill::Alert => "alert",
        }
    }

    pub fn from_name(name: &str) -> Option<Skill> {
        Skill::ALL.into_iter().find(|s| s.name() == name)
    }
}
